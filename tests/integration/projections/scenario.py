"""Drives the case service through every kind of step, for the view tests.

A step is (command, case number, choice): the same steps always make the same history.
Steps the case refuses (an illegal step, a task no longer open) are skipped, as a user
would be told and move on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import DomainError
from domain.values import (
    Actor,
    ClosureReason,
    ContactChannel,
    ContactParty,
    ReviewOutcome,
    RiskLevel,
    Role,
)
from tests.conftest import identify
from tests.fakes import FakeClock
from workflows.commands import (
    AddNote,
    AssignHeadTeacher,
    ChangeRiskLevel,
    CloseCase,
    CompleteFollowUp,
    EscalateFollowUp,
    LogContact,
    PairMentor,
    RecordCounselling,
    RecordHomeVisit,
    ReleaseMentor,
    ReopenCase,
    ReviewCase,
)
from workflows.services import SYSTEM_ACTOR, CaseService

HEAD = Actor(user_id="t-head", role=Role.TEACHER)
SUPERVISOR = Actor(user_id="sup-1", role=Role.SUPERVISOR)
COUNSELLOR = Actor(user_id="t-counsel", role=Role.TEACHER)
MENTORS = ("t-m1", "t-m2", "t-m3")
SCHOOLS = ("s1", "s2")

COMMANDS = (
    "identify", "home_visit", "pair", "release", "counsel", "review", "close", "reopen",
    "contact", "note", "head_teacher", "risk", "complete", "escalate", "advance",
)

Step = tuple[str, int, int]


def run(service: CaseService, clock: FakeClock, steps: Iterable[Step]) -> int:
    """Apply the steps; return the newest log position reached."""
    position = 0
    for command, n, choice in steps:
        try:
            result = _step(service, clock, command, n, choice)
        except DomainError:
            continue
        if result is not None:
            position = max(position, result.position)
    return position


def case_id(service: CaseService, n: int) -> UUID:
    """The id of the ``n``-th child's case."""
    return service.case_id_for(SCHOOLS[n % 2], f"2026{n:04d}")


def _step(service: CaseService, clock: FakeClock, command: str, n: int, choice: int) -> Any:
    at = clock()
    cid = case_id(service, n)
    match command:
        case "identify":
            return identify(service, clock, n, school_id=SCHOOLS[n % 2],
                            risk_level=RiskLevel.HIGH if choice % 5 == 0 else RiskLevel.NORMAL)
        case "complete" | "escalate":
            return _task_step(service, command, cid, at, choice)
        case "advance":
            clock.advance(hours=1 + 7 * choice)
            return None
    return service.handle(*_case_command(command, cid, at, choice))


def _case_command(command: str, cid: UUID, at: datetime, choice: int) -> tuple[Any, Actor]:
    """The command (and who gives it) of a step on the case itself."""
    match command:
        case "home_visit":
            return RecordHomeVisit(case_id=cid, occurred_at=at, guardian_met=choice % 2 == 0), HEAD
        case "pair":
            mentor = MENTORS[choice % len(MENTORS)]
            return PairMentor(case_id=cid, occurred_at=at, teacher_id=mentor), SUPERVISOR
        case "release":
            return ReleaseMentor(case_id=cid, occurred_at=at, reason="teacher left"), SUPERVISOR
        case "counsel":
            level = (None, RiskLevel.HIGH, RiskLevel.NORMAL)[choice % 3]
            return RecordCounselling(case_id=cid, occurred_at=at, risk_level=level), COUNSELLOR
        case "review":
            outcome = list(ReviewOutcome)[choice % len(ReviewOutcome)]
            return ReviewCase(case_id=cid, occurred_at=at, outcome=outcome), SUPERVISOR
        case "close":
            reason = ClosureReason.PARENTS_RETURNED
            return CloseCase(case_id=cid, occurred_at=at, reason=reason), SUPERVISOR
        case "reopen":
            return ReopenCase(case_id=cid, occurred_at=at, reason="parents left again"), SUPERVISOR
        case "contact":
            party = list(ContactParty)[choice % len(ContactParty)]
            return LogContact(case_id=cid, occurred_at=at, party=party,
                              channel=ContactChannel.PHONE), HEAD
        case "note":
            return AddNote(case_id=cid, occurred_at=at, text="学习有进步"), HEAD
        case "head_teacher":
            teacher = f"t-head{choice % 3}"
            return AssignHeadTeacher(case_id=cid, occurred_at=at, teacher_id=teacher), SUPERVISOR
        case "risk":
            level = RiskLevel.HIGH if choice % 2 else RiskLevel.NORMAL
            return ChangeRiskLevel(case_id=cid, occurred_at=at, level=level), SUPERVISOR
    raise ValueError(command)


def _task_step(service: CaseService, command: str, cid: UUID, at: datetime, choice: int) -> Any:
    """Complete one of the case's open tasks, or escalate its most overdue one."""
    tasks = service.get_case(cid).open_follow_ups
    if not tasks:
        return None
    if command == "complete":
        task = tasks[choice % len(tasks)]
        return service.handle(
            CompleteFollowUp(case_id=cid, occurred_at=at, follow_up_id=task.follow_up_id), HEAD
        )
    # The most overdue task, to the highest rung it has earned (a no-op if none).
    service.handle(EscalateFollowUp.of(cid, tasks[0].follow_up_id, 1), SYSTEM_ACTOR)
    return service.handle(EscalateFollowUp.of(cid, tasks[0].follow_up_id, 2), SYSTEM_ACTOR)


#: A case's life in the rich history: the usual path, detours, closing and reopening.
STORY = (
    "escalate", "home_visit", "contact", "pair", "counsel", "escalate", "complete", "review",
    "note", "head_teacher", "risk", "contact", "release", "pair", "escalate", "counsel",
    "review", "close", "reopen", "home_visit", "complete",
)


def rich_history(cases: int = 6) -> list[Step]:
    """A fixed history touching every event type over a few simulated months.

    Case ``n`` starts its story ``n`` days late and skips every fourth step after the
    ``n``-th, so cases are at different stages and some tasks go overdue.
    """
    steps: list[Step] = [("identify", n, n) for n in range(cases)]
    for day, command in enumerate(STORY * 2):
        for n in range(cases):
            if (day + n) % 4 == 3:
                continue
            steps.append((command, n, day + n))
        steps.append(("advance", 0, 5 + day % 7))  # 1.5 to 3.5 days later
    return steps
