"""Every view equals an independent fold of the log, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from adapters.bootstrap import Caretrail
from projections import follow_up_view
from projections.runner import ViewRunner
from projections.views import CasesView, all_views
from tests.fakes import FakeClock
from tests.integration.projections import scenario
from tests.integration.projections.conftest import close_gap, leave_gap, positions
from tests.integration.projections.oracle import all_tables, fold, read_log, views_as_rows

NAMES = ("王小明", "李奶奶")  # the child's and guardian's names in every test case


def expected(caretrail: Caretrail) -> dict[str, Any]:
    return fold(read_log(caretrail.cases))


def tables(caretrail: Caretrail) -> dict[str, Any]:
    return all_tables(caretrail.runner.stores, {p.name: p.tables for p in caretrail.runner.projections})


def test_the_history_covers_every_event_type(history: Caretrail) -> None:
    types = {type(e).__name__ for _, e in read_log(history.cases)}
    assert types >= {
        "Identified", "HomeVisited", "MentorPaired", "MentorReleased", "CounsellingHeld",
        "Reviewed", "Closed", "Reopened", "ContactLogged", "NoteAdded", "HeadTeacherAssigned",
        "RiskLevelChanged", "FollowUpScheduled", "FollowUpCompleted", "FollowUpCancelled",
        "FollowUpReassigned", "FollowUpEscalated", "Registered", "ChildAssigned", "ChildReleased",
    }


@pytest.mark.parametrize("batch_size", [1, 7, 2000])
def test_every_view_equals_an_independent_fold_of_the_log(
    history: Caretrail, batch_size: int
) -> None:
    history.runner.batch_size = batch_size
    history.runner.catch_up()
    assert views_as_rows(history.runner.stores) == expected(history)


@pytest.mark.parametrize(("batch_size", "read_size"), [(60, 7), (2000, 1), (2000, 64)])
def test_a_batch_read_in_parts_equals_the_fold(
    history: Caretrail, batch_size: int, read_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts of a batch are folded into the same transaction: a task scheduled in one part
    and changed in a later one is inserted as it ends the batch, never updated."""
    history.runner.batch_size = batch_size
    history.runner.read_size = read_size
    written: list[int] = []
    updated: list[str] = []
    read_and_apply = ViewRunner._read_and_apply
    update = follow_up_view._update

    def counting(runner: ViewRunner, size: int) -> int:
        read = read_and_apply(runner, size)
        written.append(read)
        return read

    def recording(cur: Any, changes: dict[str, dict[str, Any]]) -> None:
        updated.extend(changes)
        update(cur, changes)

    monkeypatch.setattr(ViewRunner, "_read_and_apply", counting)
    monkeypatch.setattr(follow_up_view, "_update", recording)
    history.runner.catch_up()
    head = history.runner.head()
    assert sum(written) == head
    assert max(written) == min(batch_size, head)  # a batch, not a part
    if batch_size >= head:  # one batch: every task is new in it
        assert updated == []
    assert views_as_rows(history.runner.stores) == expected(history)


def test_a_failure_in_a_later_part_rolls_back_the_whole_batch(
    history: Caretrail, monkeypatch: pytest.MonkeyPatch
) -> None:
    history.runner.batch_size = 10_000
    history.runner.read_size = 10
    before = tables(history)
    cases = next(p for p in history.runner.projections if p.name == "cases")
    parts: list[int] = []
    apply = type(cases).apply

    def failing_third_part(cur: Any, batch: Any) -> None:
        parts.append(len(batch))
        if len(parts) == 3:
            raise RuntimeError("disk full")
        apply(cases, cur, batch)

    monkeypatch.setattr(cases, "apply", failing_third_part)
    with pytest.raises(RuntimeError, match="disk full"):
        history.runner.catch_up()
    assert len(parts) == 3
    assert set(positions(history).values()) == {0}  # no view moved, the audit log neither
    assert tables(history) == before
    monkeypatch.undo()
    history.runner.catch_up()
    assert views_as_rows(history.runner.stores) == expected(history)


def test_a_crash_between_two_views_commits_leaves_each_view_whole(
    history: Caretrail, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch's view stores commit one after the other: a view whose store did stays at
    the batch's end, the others roll back (on PostgreSQL the views share one transaction,
    so all roll back); the next catch-up gives each view the events after its own
    position, once."""
    history.runner.batch_size = 10_000
    stores = history.runner.stores
    real = stores["follow_ups"].transaction

    @contextmanager
    def power_cut() -> Iterator[Any]:
        with real() as cur:
            yield cur
            raise OSError("power cut")  # the batch is done; this store never commits

    monkeypatch.setattr(stores["follow_ups"], "transaction", power_cut)
    with pytest.raises(OSError, match="power cut"):
        history.runner.catch_up()
    at = positions(history)
    shared = stores["audit_log"] is stores["follow_ups"]
    assert at["audit_log"] == (0 if shared else history.runner.head())  # committed first
    assert at["follow_ups"] == at["cases"] == 0  # rolled back with the cut
    monkeypatch.undo()
    history.runner.catch_up()
    assert set(positions(history).values()) == {history.runner.head()}
    assert views_as_rows(history.runner.stores) == expected(history)


def test_views_built_bit_by_bit_while_commands_run_equal_the_fold(
    backend: Caretrail, clock: FakeClock
) -> None:
    backend.runner.batch_size = 5
    steps = scenario.rich_history(cases=4)
    for i in range(0, len(steps), 3):
        scenario.run(backend.cases, clock, steps[i : i + 3])
        backend.runner.catch_up()
    assert views_as_rows(backend.runner.stores) == expected(backend)


def test_a_rebuild_from_zero_reproduces_every_table_row_by_row(history: Caretrail) -> None:
    history.runner.batch_size = 3
    history.runner.catch_up()
    before = tables(history)
    assert len(before["audit_log"]) == history.runner.head() > 200
    read = history.runner.rebuild()
    assert read == history.runner.head()
    assert tables(history) == before


def test_rebuilding_one_view_leaves_the_others_alone(history: Caretrail) -> None:
    history.runner.catch_up()
    before = tables(history)
    history.runner.rebuild(["follow_ups"])
    assert tables(history) == before
    assert set(positions(history).values()) == {history.runner.head()}


def test_rebuilding_an_unknown_view_is_refused_before_anything_is_dropped(history: Caretrail) -> None:
    history.runner.catch_up()
    before = tables(history)
    with pytest.raises(LookupError, match="tasks"):
        history.runner.rebuild(["cases", "tasks"])
    assert tables(history) == before


def test_summaries_name_no_child_and_no_guardian(history: Caretrail) -> None:
    history.runner.catch_up()
    page = history.read.audit_events(limit=100)
    summaries = []
    while True:
        summaries += [row.summary for row in page.items]
        if page.next_cursor is None:
            break
        page = history.read.audit_events(after=page.next_cursor, limit=100)
    assert len(summaries) == history.runner.head()
    assert all(summaries)
    assert not [s for s in summaries if any(name in s for name in NAMES)]


def test_the_views_agree_with_the_cases_as_replayed(history: Caretrail) -> None:
    history.runner.catch_up()
    for n in range(4):
        case = history.cases.get_case(scenario.case_id(history.cases, n))
        row = history.read.case(str(case.id))
        assert row is not None
        assert (row.state, row.version, row.mentor_id, row.risk_level, row.head_teacher_id) == (
            case.state, case.version, case.mentor_id, str(case.risk_level), case.head_teacher_id
        )
        open_ids = {str(t.follow_up_id) for t in case.open_follow_ups}
        tasks = history.read.tasks(now=history.clock(), case_id=str(case.id), limit=100).items
        assert {t.follow_up_id for t in tasks} == open_ids
        soonest = case.open_follow_ups[0] if case.open_follow_ups else None
        assert row.next_due_at == (soonest.due_at if soonest else None)


def test_views_read_across_gaps_in_notification_ids(backend: Caretrail, clock: FakeClock) -> None:
    backend.runner.batch_size = 4
    steps = scenario.rich_history(cases=3)
    scenario.run(backend.cases, clock, steps[:20])
    backend.runner.catch_up()
    expected_id = leave_gap(backend, 50)
    position = scenario.run(backend.cases, clock, steps[20:])
    close_gap(backend)
    backend.runner.catch_up()
    assert any(n.id == expected_id for n in backend.cases.recorder.select_notifications(
        start=expected_id, limit=1))
    assert set(positions(backend).values()) == {position}
    assert views_as_rows(backend.runner.stores) == expected(backend)


@pytest.mark.parametrize("moved", [["cases", "follow_ups", "audit_log"], ["follow_ups"]])
def test_a_runner_whose_view_moved_on_applies_nothing_twice(
    history: Caretrail, moved: list[str]
) -> None:
    """Runner A read its positions, then B applied the same events to some views first:
    A's batch is stale, rolls back whole, and A goes on from where B left the views."""
    caretrail = history
    other = ViewRunner(caretrail.cases, caretrail.runner.stores, all_views(), batch_size=50).only(moved)
    raced: list[dict[str, int]] = []

    class Racing(ViewRunner):
        def _positions(self) -> dict[str, int]:
            read = super()._positions()
            if not raced:  # just after A read where the views stand, B catches up
                raced.append(read)
                other.catch_up()
            return read

    racing = Racing(caretrail.cases, caretrail.runner.stores, all_views(), batch_size=50)
    racing.catch_up()
    assert raced
    assert all(position < caretrail.runner.head() for position in raced[0].values())
    assert set(positions(caretrail).values()) == {caretrail.runner.head()}
    assert views_as_rows(caretrail.runner.stores) == expected(caretrail)


def test_two_runners_catching_up_at_once_apply_every_event_once(history: Caretrail) -> None:
    caretrail = history
    runners = [ViewRunner(caretrail.cases, caretrail.runner.stores, all_views(), batch_size=20) for _ in "ab"]
    threads = [threading.Thread(target=r.catch_up) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert set(positions(caretrail).values()) == {caretrail.runner.head()}
    assert views_as_rows(caretrail.runner.stores) == expected(caretrail)


def test_a_runner_sees_rows_written_by_another_runner_before_its_next_batch(
    backend: Caretrail, clock: FakeClock
) -> None:
    """Cached rows of runner A must not survive B moving the view on (A would undo B's work)."""
    caretrail = backend
    a = ViewRunner(caretrail.cases, caretrail.runner.stores, all_views())
    b = ViewRunner(caretrail.cases, caretrail.runner.stores, all_views())
    steps = scenario.rich_history(cases=2)
    third = len(steps) // 3
    scenario.run(caretrail.cases, clock, steps[:third])
    a.catch_up()
    scenario.run(caretrail.cases, clock, steps[third : 2 * third])
    b.catch_up()
    scenario.run(caretrail.cases, clock, steps[2 * third :])
    a.catch_up()
    assert views_as_rows(caretrail.runner.stores) == expected(caretrail)


def test_wait_for_returns_once_the_views_reach_a_commands_position(
    backend: Caretrail, clock: FakeClock
) -> None:
    caretrail = backend
    caretrail.runner.poll_interval = 3600  # only the save's wake-up can bring the views along
    caretrail.runner.start()
    try:
        result = scenario.run(caretrail.cases, clock, [("identify", 1, 1)])
        assert caretrail.runner.wait_for(result, timeout=30)
        assert caretrail.read.case(str(scenario.case_id(caretrail.cases, 1))) is not None
    finally:
        caretrail.runner.stop()


def test_wait_for_gives_up_after_its_timeout_when_the_position_is_not_reached(
    backend: Caretrail,
) -> None:
    assert backend.runner.wait_for(backend.runner.head() + 1, timeout=0.05) is False
    assert backend.runner.wait_for(0, timeout=0) is True


def test_status_shows_each_views_position_lag_and_last_update(history: Caretrail) -> None:
    caretrail = history
    head = caretrail.runner.head()
    assert {(s.name, s.position, s.lag) for s in caretrail.runner.status()} == {
        (name, 0, head) for name in ("cases", "follow_ups", "audit_log")
    }
    ViewRunner(caretrail.cases, caretrail.runner.stores, [CasesView()]).catch_up()
    status = {s.name: s for s in caretrail.runner.status()}
    assert (status["cases"].position, status["cases"].lag) == (head, 0)
    assert status["cases"].updated_at is not None
    assert (status["audit_log"].position, status["audit_log"].lag) == (0, head)


def test_batches_double_while_behind_unless_the_batch_size_is_set(history: Caretrail) -> None:
    caretrail = history
    head = caretrail.runner.head()
    growing = ViewRunner(caretrail.cases, caretrail.runner.stores, all_views(), batch_size=10,
                               max_batch_size=40)
    sizes: list[int] = []
    assert growing.rebuild(progress=sizes.append) == head
    assert sizes[:4] == [10, 20, 40, 40]
    assert sum(sizes) == head
    fixed = ViewRunner(caretrail.cases, caretrail.runner.stores, all_views())
    fixed.batch_size = 25
    sizes.clear()
    fixed.rebuild(progress=sizes.append)
    assert set(sizes[:-1]) == {25}
    assert views_as_rows(caretrail.runner.stores) == expected(caretrail)
