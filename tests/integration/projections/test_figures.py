"""The figures page's queries: overdue tasks at past moments, on time per kind, home visits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.bootstrap import Caretrail
from domain.values import ClosureReason
from projections.queries import TaskStatus
from tests.conftest import TEACHER, identify
from tests.fakes import FakeClock
from workflows.commands import CloseCase, RecordHomeVisit

MICRO = timedelta(microseconds=1)
#: Noon UTC each Tuesday from 8 September 2026: the moments the overdue counts are asked at.
WEEKS = [datetime(2026, 9, 8, 12, tzinfo=UTC) + timedelta(weeks=k) for k in range(6)]


def _overdue_now(caretrail: Caretrail, now: datetime) -> int:
    caretrail.runner.catch_up()
    page = caretrail.read.tasks(now=now, status=TaskStatus.OVERDUE, school_ids=["s1"], limit=100)
    return len(page.items)


def _two_cases_over_six_weeks(backend: Caretrail, clock: FakeClock) -> list[int]:
    """Two cases identified on 1 September (home visits due the 15th, contacts 1 October):
    the first visited late on the 20th, the second closed on 3 October. Returns the overdue
    count the lists showed live at each of WEEKS."""
    first = identify(backend.cases, clock, 1)
    second = identify(backend.cases, clock, 2)
    steps = {
        datetime(2026, 9, 20, 1, tzinfo=UTC): RecordHomeVisit(case_id=first.case_id, guardian_met=True),
        datetime(2026, 10, 3, 1, tzinfo=UTC): CloseCase(case_id=second.case_id,
                                                        reason=ClosureReason.LEFT_SCHOOL),
    }
    live = []
    for moment in WEEKS:
        for at in [at for at in steps if at <= moment]:
            clock.set(at)
            backend.cases.handle(steps.pop(at).model_copy(update={"occurred_at": at}), TEACHER)
        clock.set(moment)
        live.append(_overdue_now(backend, moment))
    return live


def test_overdue_counts_at_past_moments_are_what_the_lists_showed_then(
    backend: Caretrail, clock: FakeClock
) -> None:
    live = _two_cases_over_six_weeks(backend, clock)
    # 8 Sep: nothing due yet; 15th: both home visits; 22nd: the second's (the first was
    # visited on the 20th); 29th: and the first's mentor pairing (due 27th); 6 Oct: the
    # second case closed, the first's pairing and its two contacts (due 1 Oct); 13 Oct: same.
    assert live == [0, 2, 1, 2, 3, 3]
    assert backend.read.overdue_at(school_id="s1", moments=WEEKS) == live
    assert backend.read.overdue_at(school_id="other", moments=WEEKS) == [0] * len(WEEKS)


def test_a_task_due_or_done_at_the_moment_is_not_overdue_then(
    backend: Caretrail, clock: FakeClock
) -> None:
    result = identify(backend.cases, clock, 1)
    due = next(t.due_at for t in result.scheduled if t.kind == "home_visit")
    done = due + timedelta(days=2)
    clock.set(done)
    backend.cases.handle(RecordHomeVisit(case_id=result.case_id, occurred_at=done,
                                         guardian_met=True), TEACHER)
    backend.runner.catch_up()
    moments = [due, due + MICRO, done - MICRO, done]
    assert backend.read.overdue_at(school_id="s1", moments=moments) == [0, 1, 1, 0]


def test_on_time_by_kind_counts_tasks_done_by_their_due_time_within_the_period(
    backend: Caretrail, clock: FakeClock
) -> None:
    first, second, third = (identify(backend.cases, clock, n) for n in (1, 2, 3))
    due = next(t.due_at for t in first.scheduled if t.kind == "home_visit")
    clock.set(due + timedelta(days=40))
    for case, at in ((first, due), (second, due + timedelta(days=1)),
                     (third, due + timedelta(days=35))):
        backend.cases.handle(RecordHomeVisit(case_id=case.case_id, occurred_at=at,
                                             guardian_met=True), TEACHER)
    backend.runner.catch_up()
    start = datetime(2026, 9, 1, tzinfo=UTC)
    figures = backend.read.on_time_by_kind(school_id="s1", since=start, until=clock())
    (visits,) = [f for f in figures if f.kind == "home_visit"]
    assert (visits.done, visits.on_time) == (3, 1)
    assert round(visits.rate, 3) == 0.333
    before_the_last = backend.read.on_time_by_kind(
        school_id="s1", since=start, until=due + timedelta(days=30))
    assert [(f.kind, f.done, f.on_time) for f in before_the_last] == [("home_visit", 2, 1)]


def test_home_visits_count_in_the_month_they_occurred_not_when_recorded(
    backend: Caretrail, clock: FakeClock
) -> None:
    cases = [identify(backend.cases, clock, n) for n in (1, 2, 3)]
    clock.set(datetime(2026, 10, 5, tzinfo=UTC))
    for case, at in zip(cases, (datetime(2026, 9, 30, 15, 59, tzinfo=UTC),  # 23:59 in Shanghai
                                datetime(2026, 9, 30, 16, tzinfo=UTC),      # 1 Oct, 00:00 there
                                datetime(2026, 10, 4, tzinfo=UTC)), strict=True):
        backend.cases.handle(RecordHomeVisit(case_id=case.case_id, occurred_at=at,
                                             guardian_met=False), TEACHER)
    backend.runner.catch_up()
    months = [datetime(2026, 9, 1), datetime(2026, 10, 1), datetime(2026, 11, 1)]
    shanghai = [m.replace(tzinfo=UTC) - timedelta(hours=8) for m in months]
    assert backend.read.home_visits_between(school_id="s1", bounds=shanghai) == [1, 2]
    assert backend.read.home_visits_between(school_id="other", bounds=shanghai) == [0, 0]
