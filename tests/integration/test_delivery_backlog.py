"""After a delivery run that could not send everything due, delivery runs again at once
until the outbox is drained (on SQLite and PostgreSQL alike)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapters.bootstrap import Caretrail, build_outbox, build_scheduler
from adapters.driving.scheduler.service import SchedulerService
from adapters.driving.scheduler.sweep import Sweeper
from tests.fakes import FakeClock
from tests.unit.scheduler.fakes import RecordingNotifier, home_visit_due, poll, seed


def _escalations(notifier: RecordingNotifier) -> list[Any]:
    """The escalation messages sent (a digest may go out beside them)."""
    return [m for m in notifier.messages if m.type == "escalations"]


class PacedNotifier(RecordingNotifier):
    """A receiver that takes only so many messages a minute, as a group robot."""

    @property
    def paced(self) -> bool:
        return True


def _backlog(backend: Caretrail, clock: FakeClock, notifier: RecordingNotifier) -> SchedulerService:
    """A scheduler whose first sweep escalates 40 tasks, 30 notices to a delivery run (two
    messages of 15), and whose own delivery interval (a minute) lies beyond the test."""
    opened = clock()
    seed(backend, clock, 40, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=3))
    return build_scheduler(
        backend, notifier=notifier, outbox=build_outbox(backend, batch_size=15, messages_per_run=2),
        lock_poll_seconds=0.05, heartbeat_seconds=0.05,
    )


def test_a_backlog_of_notices_is_delivered_run_after_run_until_drained(
    backend: Caretrail, clock: FakeClock
) -> None:
    notifier = RecordingNotifier()
    sched = _backlog(backend, clock, notifier)
    sched.start()
    try:
        assert sched.wait_until_leader(10)
        assert poll(lambda: len(_escalations(notifier)) == 3), len(notifier.messages)
        assert sum(len(m.notices) for m in _escalations(notifier)) == 40
    finally:
        sched.shutdown()


def test_a_paced_receiver_gets_the_rest_of_a_backlog_a_minute_later(
    backend: Caretrail, clock: FakeClock
) -> None:
    notifier = PacedNotifier()
    sched = _backlog(backend, clock, notifier)
    sched.start()
    try:
        assert sched.wait_until_leader(10)
        assert poll(lambda: len(_escalations(notifier)) == 2)
        deliver = next(job for job in sched.jobs() if job.id == "deliver")
        assert poll(lambda: deliver.next_run_time is not None)
        ahead = deliver.next_run_time - datetime.now(deliver.next_run_time.tzinfo)
        assert timedelta(seconds=50) < ahead <= timedelta(seconds=60)
        assert len(_escalations(notifier)) == 2
    finally:
        sched.shutdown()


def test_a_delivery_run_says_whether_it_left_a_backlog(backend: Caretrail, clock: FakeClock) -> None:
    opened = clock()
    outbox = build_outbox(backend, batch_size=15, messages_per_run=2)
    outbox.setup()
    seed(backend, clock, 40, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=3))
    Sweeper(backend).run()
    outbox.collect()
    notifier = RecordingNotifier()
    assert outbox.deliver(notifier).backlog
    assert not outbox.deliver(notifier).backlog
    notifier.failing = True
    assert not outbox.deliver(notifier).backlog  # nothing left
    outbox.store.close()
