"""Retention: the scheduler's sweep erases the personal data of cases closed long enough ago,
each with an ``Erased`` event saying why, once; on a fake clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from structlog.testing import capture_logs

from adapters.bootstrap import Caretrail, build_accounts, build_outbox, build_scheduler
from adapters.driven.locks.sqlite import FileLeaderLock
from adapters.driving.scheduler.retention import RetentionSweep, closed_before, retention_plan
from domain.personal import ERASED
from domain.values import ClosureReason, ErasureReason, Role
from tests.conftest import SUPERVISOR, TEACHER, identify
from tests.fakes import FakeClock
from tests.unit.scheduler.fakes import RecordingNotifier
from workflows.commands import CloseCase, ReopenCase


def _closed(backend: Caretrail, clock: FakeClock, n: int) -> str:
    case_id = identify(backend.cases, clock, n).case_id
    backend.cases.handle(CloseCase(case_id=case_id, reason=ClosureReason.LEFT_SCHOOL), TEACHER)
    return str(case_id)


def _sweep_once(backend: Caretrail, tmp_path: Path) -> object:
    build_accounts(backend.settings, backend.clock, create_tables=True).close()  # as migrate does
    sched = build_scheduler(backend, notifier=RecordingNotifier(),
                            lock=FileLeaderLock(tmp_path / "scheduler.lock"), lock_poll_seconds=0.05)
    sched.start()
    try:
        assert sched.wait_for_sweeps(1, timeout=60)
        return sched.last_retention
    finally:
        sched.shutdown()


def test_the_sweep_erases_the_cases_closed_three_years_ago_once_with_the_reason(
    backend: Caretrail, clock: FakeClock, tmp_path: Path
) -> None:
    first = _closed(backend, clock, 1)
    clock.advance(days=365)
    later = _closed(backend, clock, 2)
    still_open = str(identify(backend.cases, clock, 3).case_id)
    reopened = _closed(backend, clock, 4)
    backend.cases.handle(ReopenCase(case_id=UUID(reopened), reason="回来上学"), SUPERVISOR)
    clock.advance(days=2 * 365 + 2)  # the first closed three years and a day ago, the other two

    assert [i.case_id for i in retention_plan(backend, 3)] == [first]
    with capture_logs() as logs:
        report = _sweep_once(backend, tmp_path)
    assert report is not None
    assert (report.due, report.erased, report.already, report.failed) == (1, 1, 0, 0)  # type: ignore[attr-defined]
    assert "王小明" not in repr(logs)
    assert "13800000000" not in repr(logs)

    erased = backend.cases.get_case(UUID(first))
    assert erased.erased
    assert erased.child.name == ERASED
    last = backend.cases.history(erased.id)[-1]
    assert (type(last).__name__, last.reason, last.actor.role) == (
        "Erased", ErasureReason.RETENTION, Role.SYSTEM)
    for other in (later, still_open, reopened):
        assert not backend.cases.get_case(UUID(other)).erased

    # The next sweep finds nothing due: the audit log knows the case is erased.
    assert retention_plan(backend, 3) == []
    again = _sweep_once(backend, tmp_path)
    assert (again.due, again.erased) == (0, 0)  # type: ignore[attr-defined]
    assert [type(e).__name__ for e in backend.cases.history(erased.id)].count("Erased") == 1


def test_a_rule_of_zero_years_erases_nothing(backend: Caretrail, clock: FakeClock) -> None:
    _closed(backend, clock, 1)
    clock.advance(days=20 * 365)
    assert retention_plan(backend, 0) == []
    assert RetentionSweep.of(backend, 0, build_outbox(backend), lambda: None) is None
    assert [i.case_id for i in retention_plan(backend, 3)] != []


def test_three_years_are_calendar_years() -> None:
    assert closed_before(datetime(2029, 9, 1, tzinfo=UTC), 3) == datetime(2026, 9, 1, tzinfo=UTC)
    assert closed_before(datetime(2028, 2, 29, 8, tzinfo=UTC), 3) == datetime(2025, 2, 28, 8, tzinfo=UTC)
