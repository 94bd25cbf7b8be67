"""Concurrent pairings against a real store never put a mentor over capacity.

Case and mentor are saved in one atomic save; the loser of a race on the mentor's
version re-reads and is refused. Runs on SQLite files and on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

from adapters.bootstrap import Caretrail
from domain.errors import MentorAtCapacity
from tests.conftest import SUPERVISOR
from tests.fakes import FakeClock
from tests.unit.domain.journeys import case_in
from workflows.commands import PairMentor
from workflows.errors import ConcurrentUpdate
from workflows.services import CommandResult

MENTOR = "t-popular"


def hold_first_saves(caretrail: Caretrail, parties: int) -> None:
    """Make the first save of each of ``parties`` threads wait until all have read and decided.

    Every pairing then decides on the same mentor version, so the race is certain.
    """
    barrier = threading.Barrier(parties, timeout=10)
    waited = threading.local()
    real_save: Callable[..., Any] = caretrail.cases.save

    def save(*objs: Any, **kwargs: Any) -> Any:
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()
        return real_save(*objs, **kwargs)

    caretrail.cases.save = save  # type: ignore[method-assign]


def pair_all(caretrail: Caretrail, clock: FakeClock, cases: list[UUID]) -> list[CommandResult | Exception]:
    """Pair every case with the same mentor at once, one thread each."""
    def pair(case_id: UUID) -> CommandResult | Exception:
        try:
            return caretrail.cases.handle(
                PairMentor(case_id=case_id, occurred_at=clock(), teacher_id=MENTOR), SUPERVISOR
            )
        except (MentorAtCapacity, ConcurrentUpdate) as e:
            return e

    with ThreadPoolExecutor(len(cases)) as pool:
        return list(pool.map(pair, cases))


def test_two_concurrent_pairings_for_the_last_place_admit_exactly_one(
    backend: Caretrail, clock: FakeClock
) -> None:
    cases = [case_in(backend.cases, clock, "visited", n) for n in range(1, 5)]
    for case_id in cases[:2]:
        backend.cases.handle(PairMentor(case_id=case_id, occurred_at=clock(), teacher_id=MENTOR), SUPERVISOR)
    hold_first_saves(backend, 2)
    results = pair_all(backend, clock, cases[2:])
    winners = [c for c, r in zip(cases[2:], results, strict=True) if isinstance(r, CommandResult)]
    losers = [c for c, r in zip(cases[2:], results, strict=True) if isinstance(r, MentorAtCapacity)]
    assert len(winners) == len(losers) == 1
    mentor = backend.cases.get_mentor(MENTOR)
    assert mentor is not None
    assert mentor.children == [*cases[:2], *winners]
    loser = backend.cases.get_case(losers[0])
    assert (loser.state, loser.mentor_id) == ("visited", None)


def test_many_concurrent_pairings_never_exceed_the_cap(backend: Caretrail, clock: FakeClock) -> None:
    cases = [case_in(backend.cases, clock, "visited", n) for n in range(1, 7)]
    hold_first_saves(backend, len(cases))
    results = pair_all(backend, clock, cases)
    mentor = backend.cases.get_mentor(MENTOR)
    assert mentor is not None
    paired = {c for c in cases if backend.cases.get_case(c).mentor_id == MENTOR}
    assert len(mentor.children) <= backend.settings.mentor_capacity
    assert set(mentor.children) == paired
    assert sum(isinstance(r, CommandResult) for r in results) == len(paired) >= 1
