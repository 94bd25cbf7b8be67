"""Closing many cases with one reason: each case atomic, reported closed, skipped or refused."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.errors import InvalidCommand
from domain.values import ClosureReason
from tests.conftest import SUPERVISOR, identify
from tests.fakes import FakeClock
from workflows.bulk_close import close_many
from workflows.commands import CloseCase
from workflows.services import CaseService

MISSING = UUID("00000000-0000-4000-8000-000000000000")


def test_each_case_is_closed_with_the_reason_and_the_report_says_what_happened(
    service: CaseService, clock: FakeClock
) -> None:
    ids = [identify(service, clock, n).case_id for n in range(1, 4)]
    other = identify(service, clock, 4, school_id="s2").case_id
    service.handle(CloseCase(case_id=ids[2], reason=ClosureReason.OTHER), SUPERVISOR)
    clock.advance(days=1)
    report = close_many(service, [*ids, MISSING, other], ClosureReason.LEFT_SCHOOL, SUPERVISOR,
                        school_ids={"s1"})
    assert report.closed == (ids[0], ids[1])
    assert report.skipped == (ids[2],)
    assert [(r.case_id, r.code) for r in report.refused] == [
        (MISSING, "case-not-found"), (other, "case-not-found")]
    assert service.get_case(other).closed_at is None
    closed = [e for e in service.history(ids[0]) if type(e).__name__ == "Closed"]
    assert [e.reason for e in closed] == [ClosureReason.LEFT_SCHOOL]


def test_the_same_closing_sent_again_closes_nothing_twice(service: CaseService, clock: FakeClock) -> None:
    ids = [identify(service, clock, n).case_id for n in range(1, 3)]
    close_many(service, ids, ClosureReason.PARENTS_RETURNED, SUPERVISOR)
    position = service.position()
    again = close_many(service, ids, ClosureReason.PARENTS_RETURNED, SUPERVISOR)
    assert (again.closed, again.skipped) == ((), tuple(ids))
    assert service.position() == position


def test_a_review_closing_or_no_case_is_refused_before_anything_is_written(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    position = service.position()
    with pytest.raises(InvalidCommand, match="closes one case at a time"):
        close_many(service, [case_id], ClosureReason.REVIEWED, SUPERVISOR)
    with pytest.raises(InvalidCommand, match="give the cases"):
        close_many(service, [], ClosureReason.OTHER, SUPERVISOR)
    assert service.position() == position
