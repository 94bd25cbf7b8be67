"""The escalation sweep against real views: outages, races, ladders, pinned workflow versions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from time import perf_counter
from typing import Any
from uuid import UUID

import pytest
from structlog.testing import capture_logs

from adapters.bootstrap import Caretrail, build, build_scheduler
from adapters.driven.locks.sqlite import FileLeaderLock
from adapters.driving.scheduler.sweep import Sweeper
from adapters.settings import Settings
from domain.values import AssigneeRole, Role
from projections.queries import ReadModels
from tests.conftest import TEACHER
from tests.fakes import FakeClock
from tests.unit.scheduler.fakes import (
    PERSONAL,
    RecordingNotifier,
    escalation_counts,
    escalations,
    home_visit_due,
    poll,
    seed,
)
from workflows.commands import RecordHomeVisit
from workflows.registry import BUILTIN_DIR, Registry


def test_tasks_that_came_due_during_an_outage_are_all_escalated_once_in_the_first_sweep(
    backend: Caretrail, clock: FakeClock, tmp_path: Path
) -> None:
    opened = clock()
    seed(backend, clock, 200, at=opened)
    # The scheduler is down while all 200 home visits pass their first rung (3 days late).
    clock.set(home_visit_due(opened) + timedelta(days=3, minutes=10))
    notifier = RecordingNotifier()
    sched = build_scheduler(
        backend, notifier=notifier, lock=FileLeaderLock(tmp_path / "scheduler.lock"),
        lock_poll_seconds=0.05,
    )
    started = perf_counter()
    sched.start()
    try:
        assert sched.wait_for_sweeps(1, timeout=60)
        first = sched.last_sweep
        assert first is not None
        print(f"\nfirst sweep after the outage: {first.escalated} escalations in {first.seconds} s "
              f"({perf_counter() - started:.2f} s from start)")
        assert (first.candidates, first.escalated, first.refused, first.failed) == (200, 200, 0, 0)
        counts = escalation_counts(backend)
        assert len(counts) == 200
        assert set(counts.values()) == {1}
        events = escalations(backend)
        assert {(e.level, e.to_role, e.days_overdue, e.actor.role) for e in events} == {
            (1, AssigneeRole.SUPERVISOR, 3, Role.SYSTEM)
        }
        again = sched.sweep()
        assert again is not None
        assert (again.candidates, again.escalated) == (0, 0)
        assert escalation_counts(backend) == counts
        assert poll(lambda: len(notifier.notices) >= 200)  # the sweep kicked the delivery job
        assert sorted(n.follow_up_id for n in notifier.notices) == sorted(str(f) for f, _ in counts)
    finally:
        sched.shutdown()


def test_a_long_outage_climbs_every_rung_reached_lowest_first(
    caretrail: Caretrail, clock: FakeClock
) -> None:
    opened = clock()
    seed(caretrail, clock, 5, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=14, minutes=10))
    report = Sweeper(caretrail).run()
    assert (report.candidates, report.escalated) == (5, 10)
    by_task: dict[Any, list[int]] = {}
    for e in escalations(caretrail):
        by_task.setdefault(e.follow_up_id, []).append(e.level)
    assert list(by_task.values()) == [[1, 2]] * 5
    assert {e.to_role for e in escalations(caretrail) if e.level == 2} == {AssigneeRole.DISTRICT}
    assert Sweeper(caretrail).run().candidates == 0


def test_a_rung_is_reached_exactly_at_its_threshold_not_a_moment_before(
    caretrail: Caretrail, clock: FakeClock
) -> None:
    opened = clock()
    seed(caretrail, clock, 3, at=opened)
    threshold = home_visit_due(opened) + timedelta(days=3)
    clock.set(threshold - timedelta(microseconds=1))
    assert Sweeper(caretrail).run().escalated == 0
    clock.set(threshold)
    assert Sweeper(caretrail).run().escalated == 3


class CompletingReads(ReadModels):
    """Reads candidates, then lets a teacher finish every other task before the sweep acts."""

    def __init__(self, caretrail: Caretrail) -> None:
        super().__init__(caretrail.read.stores)
        self.caretrail = caretrail
        self.completed: set[str] = set()

    def escalation_candidates(self, **kwargs: Any) -> Any:
        page = super().escalation_candidates(**kwargs)
        for row in page.items[::2]:
            self.caretrail.cases.handle(
                RecordHomeVisit(
                    case_id=UUID(row.case_id), occurred_at=self.caretrail.clock(), guardian_met=True
                ),
                TEACHER,
            )
            self.completed.add(row.follow_up_id)
        return page


def test_a_task_completed_between_the_view_read_and_the_command_is_not_escalated(
    caretrail: Caretrail, clock: FakeClock
) -> None:
    opened = clock()
    seed(caretrail, clock, 10, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=3, minutes=10))
    reads = CompletingReads(caretrail)
    caretrail.read = reads
    report = Sweeper(caretrail).run()
    assert len(reads.completed) == 5
    assert (report.candidates, report.escalated, report.refused) == (10, 5, 5)
    escalated = {str(f) for f, _ in escalation_counts(caretrail)}
    assert len(escalated) == 5
    assert escalated.isdisjoint(reads.completed)


def publish_next(tmp_path: Path, *edit: str) -> Path:
    """A directory with the next version of the shipped default workflow (``edit``: old, new)."""
    current = Registry.load().latest("left_behind").ref.version
    text = (BUILTIN_DIR / f"left_behind.v{current}.toml").read_text(encoding="utf-8")
    newer = text.replace(f"version = {current}", f"version = {current + 1}", 1)
    if edit:
        newer = newer.replace(edit[0], edit[1], 1)
    assert newer.count(f"version = {current + 1}") == 1
    assert not edit or edit[1] in newer
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    (definitions / f"left_behind.v{current + 1}.toml").write_text(newer, encoding="utf-8")
    return definitions


def test_each_case_is_escalated_by_the_ladder_of_the_workflow_version_it_pinned(
    tmp_path: Path, clock: FakeClock
) -> None:
    definitions = publish_next(tmp_path, "after_days = 3", "after_days = 1")
    opened = clock()
    old = build(Settings(data_dir=tmp_path / "data"), clock=clock)  # the shipped versions only
    old_cases = seed(old, clock, 3, at=opened)
    old.close()
    caretrail = build(Settings(data_dir=tmp_path / "data", workflow_dir=definitions), clock=clock)
    try:
        new_cases = seed(caretrail, clock, 3, at=opened, first=100)  # the published version
        clock.set(home_visit_due(opened) + timedelta(days=2))  # past its rung (1 day), not the old (3)
        report = Sweeper(caretrail).run()
        assert report.escalated == 3
        assert {e.originator_id for e in escalations(caretrail)} == set(new_cases)
        clock.advance(days=1)
        assert Sweeper(caretrail).run().escalated == 3
        assert {e.originator_id for e in escalations(caretrail)} == set(new_cases) | set(old_cases)
    finally:
        caretrail.close()


def test_a_case_of_a_workflow_version_this_process_lacks_is_skipped_and_logged(
    tmp_path: Path, clock: FakeClock
) -> None:
    definitions = publish_next(tmp_path)
    opened = clock()
    newer = build(Settings(data_dir=tmp_path / "data", workflow_dir=definitions), clock=clock)
    seed(newer, clock, 2, at=opened)
    newer.close()
    caretrail = build(Settings(data_dir=tmp_path / "data"), clock=clock)  # the shipped versions only
    try:
        shipped_cases = seed(caretrail, clock, 2, at=opened, first=50)
        clock.set(home_visit_due(opened) + timedelta(days=4))
        with capture_logs() as logs:
            report = Sweeper(caretrail).run()
        assert (report.escalated, report.lagging) == (2, 2)
        assert {e.originator_id for e in escalations(caretrail)} == set(shipped_cases)
        unknown = [entry for entry in logs if entry["event"] == "escalation_unknown_workflow"]
        newest = Registry.load(definitions).latest("left_behind").ref
        assert [entry["workflow"] for entry in unknown] == [str(newest)] * 2
    finally:
        caretrail.close()


def test_a_sweep_asked_to_stop_stops_between_two_tasks(caretrail: Caretrail, clock: FakeClock) -> None:
    opened = clock()
    seed(caretrail, clock, 6, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=3))
    asked = iter([False, False, True])
    report = Sweeper(caretrail).run(should_stop=lambda: next(asked, True))
    assert report.stopped
    assert report.escalated == 2
    assert Sweeper(caretrail).run().escalated == 4  # the next sweep does the rest


def test_the_candidate_query_uses_the_status_and_due_date_index(caretrail: Caretrail) -> None:
    with caretrail.read.stores["follow_ups"].reader() as cur:
        cur.execute(
            "EXPLAIN QUERY PLAN SELECT follow_up_id FROM follow_ups WHERE status = 'open' "
            "AND due_at <= ? AND ((escalation_level < ? AND due_at <= ?)) "
            "ORDER BY due_at, follow_up_id LIMIT 100",
            ("2026", 1, "2026"),
        )
        plan = " ".join(str(row) for row in cur.fetchall())
    assert "USING INDEX fu_status_due" in plan
    assert "TEMP B-TREE" not in plan  # no sort: the index gives the order


def test_notices_never_carry_personal_data(caretrail: Caretrail, clock: FakeClock, tmp_path: Path) -> None:
    opened = clock()
    seed(caretrail, clock, 3, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=20))
    notifier = RecordingNotifier()
    lock = FileLeaderLock(tmp_path / "scheduler.lock")
    sched = build_scheduler(caretrail, notifier=notifier, lock=lock)
    assert lock.acquire(blocking=False)
    sched.outbox.setup()
    sched.sweep()
    sched.send_digests()
    sched.deliver()
    sched.shutdown()
    lock.release()
    text = " ".join(m.model_dump_json() for m in notifier.messages)
    assert len(notifier.notices) == len(escalations(caretrail)) > 3
    assert '"type":"digest"' in text
    assert not [p for p in PERSONAL if p in text]


@pytest.mark.parametrize("rungs", [[], [(1, 3)]])
def test_the_candidate_query_returns_nothing_without_rungs_or_overdue_tasks(
    caretrail: Caretrail, clock: FakeClock, rungs: list[tuple[int, int]]
) -> None:
    seed(caretrail, clock, 2, at=clock())
    caretrail.runner.catch_up()
    assert caretrail.read.escalation_candidates(now=clock(), thresholds=rungs).items == []
