"""The queries over the views: overdue arithmetic, time zones, pagination under writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from adapters.bootstrap import Caretrail
from domain.values import ClosureReason
from projections.queries import TaskStatus
from tests.conftest import SUPERVISOR, TEACHER, identify
from tests.fakes import FakeClock
from workflows.commands import CloseCase, RecordHomeVisit

SHANGHAI = ZoneInfo("Asia/Shanghai")
MICRO = timedelta(microseconds=1)
DAY = timedelta(days=1)


def home_visit_due(caretrail: Caretrail, clock: FakeClock, n: int = 1, **overrides: object) -> datetime:
    """Identify a child; return the due time of the home visit it schedules."""
    result = identify(caretrail.cases, clock, n, **overrides)
    caretrail.runner.catch_up()
    (task,) = [t for t in result.scheduled if t.kind == "home_visit"]
    return task.due_at


def overdue(caretrail: Caretrail, now: datetime, min_days: int = 0) -> list[int]:
    """Days overdue of each overdue task at ``now``."""
    page = caretrail.read.tasks(now=now, status=TaskStatus.OVERDUE, school_ids=["s1"],
                         min_days_overdue=min_days)
    return [t.days_overdue for t in page.items]


def test_a_task_is_overdue_only_after_its_due_moment(backend: Caretrail, clock: FakeClock) -> None:
    due = home_visit_due(backend, clock)
    assert overdue(backend, due - MICRO) == []
    assert overdue(backend, due) == []  # due now is not yet late
    assert overdue(backend, due + MICRO) == [0]


def test_days_overdue_count_whole_days_and_min_days_filters_on_the_same_boundary(
    backend: Caretrail, clock: FakeClock
) -> None:
    due = home_visit_due(backend, clock)
    assert overdue(backend, due + DAY - MICRO) == [0]
    assert overdue(backend, due + DAY - MICRO, min_days=1) == []
    assert overdue(backend, due + DAY) == [1]
    assert overdue(backend, due + DAY, min_days=1) == [1]
    assert overdue(backend, due + 3 * DAY - MICRO, min_days=3) == []
    assert overdue(backend, due + 3 * DAY, min_days=3) == [3]


def test_the_same_moment_in_shanghai_and_in_utc_gives_the_same_answers(
    backend: Caretrail, clock: FakeClock
) -> None:
    # Identified at 00:30 Shanghai time: the day before in UTC.
    clock.set(datetime(2026, 9, 2, 0, 30, tzinfo=SHANGHAI))
    due = home_visit_due(backend, clock)
    assert due.utcoffset() == timedelta(0)  # stored and returned in UTC
    now_utc = (due + 2 * DAY + MICRO).astimezone(UTC)
    now_local = now_utc.astimezone(SHANGHAI)
    assert now_local.date() != now_utc.date() or now_local.hour < 8
    for now in (now_utc, now_local):
        page = backend.read.tasks(now=now, status=TaskStatus.OVERDUE, school_ids=["s1"])
        assert [(t.kind, t.days_overdue, t.due_at) for t in page.items] == [("home_visit", 2, due)]
        assert backend.read.overdue_summary(school_ids=["s1"], now=now)[0].max_days_overdue == 2


def test_due_soon_and_overdue_split_open_tasks_at_now(backend: Caretrail, clock: FakeClock) -> None:
    due = home_visit_due(backend, clock)
    for now in (due - MICRO, due, due + MICRO):
        soon = backend.read.tasks(now=now, status=TaskStatus.DUE_SOON, school_ids=["s1"],
                                  due_within_days=1)
        late = backend.read.tasks(now=now, status=TaskStatus.OVERDUE, school_ids=["s1"])
        kinds = [t.kind for t in soon.items] + [t.kind for t in late.items]
        assert kinds.count("home_visit") == 1, now


def test_my_tasks_include_tasks_due_at_the_horizon_and_everything_overdue(
    backend: Caretrail, clock: FakeClock
) -> None:
    due = home_visit_due(backend, clock)
    mine = backend.read.my_tasks(user_id=TEACHER.user_id, now=due - 3 * DAY, within_days=3)
    assert "home_visit" in [t.kind for t in mine.items]
    mine = backend.read.my_tasks(user_id=TEACHER.user_id, now=due - 3 * DAY - MICRO, within_days=3)
    assert "home_visit" not in [t.kind for t in mine.items]
    mine = backend.read.my_tasks(user_id=TEACHER.user_id, now=due + 30 * DAY, within_days=0)
    assert "home_visit" in [t.kind for t in mine.items]


def test_stats_count_tasks_done_on_time_and_late(backend: Caretrail, clock: FakeClock) -> None:
    first = identify(backend.cases, clock, 1)
    identify(backend.cases, clock, 2)
    due = next(t.due_at for t in first.scheduled if t.kind == "home_visit")
    clock.set(due + 2 * DAY)
    backend.cases.handle(RecordHomeVisit(case_id=first.case_id, occurred_at=due, guardian_met=True), TEACHER)
    second = backend.cases.case_id_for("s1", "20260002")
    backend.cases.handle(RecordHomeVisit(case_id=second, occurred_at=due + DAY, guardian_met=True), TEACHER)
    backend.runner.catch_up()
    stats = backend.read.stats(school_id="s1", now=clock())
    assert (stats.completed_on_time, stats.completed_late) == (1, 1)
    assert stats.on_time_rate == 0.5
    assert stats.cases_by_state == {"visited": 2}


def test_pages_neither_repeat_nor_skip_tasks_while_writes_continue(
    backend: Caretrail, clock: FakeClock
) -> None:
    start = clock()
    for n in range(30):  # children identified over two months: due dates spread out
        identify(backend.cases, clock, n, occurred_at=start - timedelta(hours=47 * n))
    backend.runner.catch_up()
    now = start + 30 * DAY
    first = backend.read.tasks(now=now, status=TaskStatus.OVERDUE, school_ids=["s1"], limit=100)
    stayed = {t.follow_up_id for t in first.items}
    seen: list[tuple[datetime, str]] = []
    page = backend.read.tasks(now=now, status=TaskStatus.OVERDUE, school_ids=["s1"], limit=7)
    n = 100
    while True:
        seen += [(t.due_at, t.follow_up_id) for t in page.items]
        # Between pages: more children arrive (tasks before and after the cursor) and
        # some tasks are done (they leave the list).
        identify(backend.cases, clock, n, occurred_at=start - timedelta(hours=31 * (n % 40)))
        done = backend.cases.case_id_for("s1", f"2026{n - 100:04d}")
        backend.cases.handle(RecordHomeVisit(case_id=done, occurred_at=clock(), guardian_met=True), TEACHER)
        stayed -= {str(t.follow_up_id) for t in backend.cases.get_case(done).follow_ups.values()
                   if t.kind == "home_visit"}
        n += 1
        backend.runner.catch_up()
        if page.next_cursor is None:
            break
        page = backend.read.tasks(now=now, status=TaskStatus.OVERDUE, school_ids=["s1"],
                                  limit=7, after=page.next_cursor)
    ids = [key for _, key in seen]
    assert len(ids) == len(set(ids)), "a task was listed twice"
    assert seen == sorted(seen), "pages out of order"
    assert stayed <= set(ids), "a task overdue all along was skipped"
    assert len(stayed) > 20


def test_a_supervisor_sees_unassigned_role_tasks_of_their_schools_only(
    backend: Caretrail, clock: FakeClock
) -> None:
    result = identify(backend.cases, clock, 1)
    backend.cases.handle(
        RecordHomeVisit(case_id=result.case_id, occurred_at=clock(), guardian_met=True), TEACHER
    )
    identify(backend.cases, clock, 2, school_id="s2")
    backend.runner.catch_up()
    later = clock() + 60 * DAY
    mine = backend.read.my_tasks(user_id=SUPERVISOR.user_id, now=later,
                                 role_tasks=("supervisor", ["s1"]))
    assert {(t.kind, t.school_id) for t in mine.items} >= {("mentor_pairing", "s1")}
    assert {t.school_id for t in mine.items} == {"s1"}


def test_done_and_cancelled_lists_show_closed_tasks_of_a_school(
    backend: Caretrail, clock: FakeClock
) -> None:
    result = identify(backend.cases, clock, 1)
    backend.cases.handle(
        RecordHomeVisit(case_id=result.case_id, occurred_at=clock(), guardian_met=True), TEACHER
    )
    backend.cases.handle(
        CloseCase(case_id=result.case_id, occurred_at=clock(), reason=ClosureReason.PARENTS_RETURNED),
        SUPERVISOR,
    )
    backend.runner.catch_up()
    done = backend.read.tasks(now=clock(), status=TaskStatus.DONE, school_ids=["s1"])
    cancelled = backend.read.tasks(now=clock(), status=TaskStatus.CANCELLED, school_ids=["s1"])
    assert [t.kind for t in done.items] == ["home_visit"]
    assert cancelled.items
    assert {t.status for t in cancelled.items} == {"cancelled"}
    assert all(t.closed_at is not None and t.days_overdue == 0 for t in cancelled.items)
