"""Test doubles and helpers shared by the scheduler's unit and integration tests."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from adapters.bootstrap import Caretrail
from adapters.driven.notify.messages import EscalationBatch, SchoolDigest
from adapters.driven.notify.port import DeliveryFailed, Notifier
from domain.case import Case
from tests.conftest import identify
from tests.fakes import FakeClock

#: Personal data the seeded cases carry; no message may ever contain any of it.
PERSONAL = ("王小明", "李奶奶", "13800000000", "广东东莞")


class RecordingNotifier(Notifier):
    """Keeps every message; fails while ``failing`` is set."""

    name = "recording"

    def __init__(self) -> None:
        self.messages: list[EscalationBatch | SchoolDigest] = []
        self.failing = False
        self.attempts = 0

    def send(self, message: EscalationBatch | SchoolDigest) -> None:
        self.attempts += 1
        if self.failing:
            raise DeliveryFailed("test endpoint is down")
        self.messages.append(message)

    @property
    def notices(self) -> list[Any]:
        return [n for m in self.messages if isinstance(m, EscalationBatch) for n in m.notices]


def seed(caretrail: Caretrail, clock: FakeClock, count: int, *, at: datetime, first: int = 0,
         school: str = "s1") -> list[UUID]:
    """Identify ``count`` children at ``at``; each case opens a home visit due 14 days later."""
    saved = clock.now
    clock.set(at)
    try:
        return [
            identify(caretrail.cases, clock, n=first + i, school_id=school).case_id for i in range(count)
        ]
    finally:
        clock.set(saved)


def escalations(caretrail: Caretrail) -> list[Case.FollowUpEscalated]:
    """Every FollowUpEscalated event in the store, in log order."""
    recorder: Any = caretrail.cases.recorder
    topic = "domain.case:Case.FollowUpEscalated"
    found = recorder.select_notifications(start=0, limit=1_000_000, topics=[topic])
    return [caretrail.cases.mapper.to_domain_event(n) for n in found]


def escalation_counts(caretrail: Caretrail) -> Counter[tuple[UUID, int]]:
    """How many times each (task, level) was escalated."""
    return Counter((e.follow_up_id, e.level) for e in escalations(caretrail))


def home_visit_due(opened_at: datetime) -> datetime:
    """When the default workflow's first home visit falls due (14 days after identification)."""
    return opened_at + timedelta(days=14)


def poll(predicate: Callable[[], bool], timeout: float = 10.0, every: float = 0.01) -> bool:
    """True as soon as ``predicate()`` holds; False once ``timeout`` seconds passed without it.

    For state another thread or process changes (a job's delivery, a subprocess's
    escalations): never a fixed sleep standing in for time-based behaviour.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True
