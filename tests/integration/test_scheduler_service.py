"""The scheduler service: its APScheduler jobs, leadership, digests and the notification outbox."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from structlog.testing import capture_logs

from adapters.bootstrap import Caretrail, build, build_outbox, build_scheduler
from adapters.driven.locks.sqlite import FileLeaderLock
from adapters.driven.notify.port import SchedulerConfigError
from adapters.driving.scheduler.service import SchedulerService
from adapters.driving.scheduler.sweep import Sweeper
from adapters.settings import Settings
from tests.fakes import FakeClock
from tests.unit.scheduler.fakes import RecordingNotifier, escalations, home_visit_due, poll, seed


def service(
    caretrail: Caretrail, lock_path: Path, notifier: RecordingNotifier | None = None
) -> SchedulerService:
    return build_scheduler(
        caretrail, notifier=notifier or RecordingNotifier(),
        lock=FileLeaderLock(lock_path, poll_interval=0.02),
        lock_poll_seconds=0.05, heartbeat_seconds=0.05,
    )


class LostLock(FileLeaderLock):
    """A lock whose backend says it is no longer ours (a dropped PostgreSQL session, say)."""

    def keep_alive(self) -> bool:
        return False


def test_jobs_sweep_at_start_and_on_an_interval_without_dropping_misfires(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = Settings(data_dir=tmp_path / "data", sweep_seconds=45, digest_time="18:05")
    caretrail = build(settings, clock=clock)
    sched = service(caretrail, tmp_path / "lock")
    sched.start()
    try:
        assert sched.wait_until_leader(10)
        assert sched.wait_for_sweeps(1, 10)  # the start-up sweep, without waiting 45 s
        jobs = {job.id: job for job in sched.jobs()}
        assert {"sweep", "deliver", "digest"} <= set(jobs)
        for job in jobs.values():
            assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
        sweep = jobs["sweep"].trigger
        assert isinstance(sweep, IntervalTrigger)
        assert sweep.interval == timedelta(seconds=45)
        digest = jobs["digest"].trigger
        assert isinstance(digest, CronTrigger)
        assert str(digest.timezone) == "Asia/Shanghai"
        next_digest = jobs["digest"].next_run_time
        assert (next_digest.hour, next_digest.minute) == (18, 5)
        assert next_digest.utcoffset() == timedelta(hours=8)
    finally:
        sched.shutdown()
        caretrail.close()
    assert sched.jobs() == []
    assert not sched.lock.is_held()


def test_a_second_scheduler_waits_for_the_lock_and_takes_over_when_the_first_stops(
    caretrail: Caretrail, tmp_path: Path, clock: FakeClock
) -> None:
    first, second = service(caretrail, tmp_path / "lock"), service(caretrail, tmp_path / "lock")
    first.start()
    assert first.wait_until_leader(10)
    second.start()
    try:
        assert not second.wait_until_leader(0.3)
        assert second.jobs() == []
        opened = clock()
        seed(caretrail, clock, 4, at=opened)
        clock.set(home_visit_due(opened) + timedelta(days=3))
        first.shutdown()
        assert second.wait_until_leader(10)
        assert second.wait_for_sweeps(1, 10)
        assert second.last_sweep is not None
        assert second.last_sweep.escalated == 4  # its start-up sweep found what came due
    finally:
        first.shutdown()
        second.shutdown()


def test_a_scheduler_that_lost_its_lock_sweeps_nothing(
    caretrail: Caretrail, tmp_path: Path, clock: FakeClock
) -> None:
    opened = clock()
    seed(caretrail, clock, 2, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=5))
    lock = LostLock(tmp_path / "lock")
    sched = build_scheduler(caretrail, notifier=RecordingNotifier(), lock=lock)
    lock.acquire()
    assert sched.sweep() is None
    assert escalations(caretrail) == []
    sched.shutdown()
    lock.release()


def test_a_digest_goes_out_once_per_school_and_day_even_across_restarts(
    caretrail: Caretrail, tmp_path: Path, clock: FakeClock
) -> None:
    opened = clock()
    seed(caretrail, clock, 3, at=opened, school="s1")
    seed(caretrail, clock, 2, at=opened, school="s2", first=10)
    seed(caretrail, clock, 1, at=clock() + timedelta(days=30), school="s3", first=20)  # nothing late
    clock.set(home_visit_due(opened) + timedelta(days=1))
    notifier = RecordingNotifier()
    for _ in range(2):  # a restart on the same day
        sched = service(caretrail, tmp_path / "lock", notifier)
        assert sched.lock.acquire(blocking=False)
        sched.outbox.setup()
        sched.send_digests()
        sched.deliver()
        sched.shutdown()
        sched.lock.release()
    digests = [m for m in notifier.messages if m.type == "digest"]
    assert sorted(d.school_id for d in digests) == ["s1", "s2"]
    s1 = next(d for d in digests if d.school_id == "s1")
    assert s1.total_overdue == 3
    assert s1.by_kind == {"home_visit": 3}
    assert [(a.assignee_id, a.count) for a in s1.by_assignee] == [("t-head", 3)]
    assert len(s1.oldest) == 3
    clock.advance(days=1)
    sched = service(caretrail, tmp_path / "lock", notifier)
    sched.lock.acquire()
    sched.outbox.setup()
    assert sched.send_digests() == 2  # a new day, a new digest
    sched.shutdown()
    sched.lock.release()


def test_the_scheduler_starting_after_digest_time_sends_the_missed_digest(
    caretrail: Caretrail, tmp_path: Path, clock: FakeClock
) -> None:
    opened = clock()
    seed(caretrail, clock, 2, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=1))  # 09:00 in Beijing: after 07:30
    notifier = RecordingNotifier()
    sched = service(caretrail, tmp_path / "lock", notifier)
    sched.start()
    try:
        assert sched.wait_until_leader(10)
        assert poll(lambda: any(m.type == "digest" for m in notifier.messages))
        assert [m.school_id for m in notifier.messages if m.type == "digest"] == ["s1"]
    finally:
        sched.shutdown()


def test_escalations_recorded_before_a_crash_are_still_announced_once(
    caretrail: Caretrail, tmp_path: Path, clock: FakeClock
) -> None:
    opened = clock()
    seed(caretrail, clock, 3, at=opened)
    first = build_outbox(caretrail)
    first.setup()  # a scheduler started here ...
    clock.set(home_visit_due(opened) + timedelta(days=3))
    Sweeper(caretrail).run()  # ... escalated, and died before collecting anything
    second = build_outbox(caretrail)
    second.setup()  # the next one resumes where the first stopped, not at the head
    assert second.collect() == 3
    assert first.collect() == 0  # each event is queued once, whoever collects
    assert second.collect() == 0
    assert sorted(e.message_key.split(":")[2] for e in second.entries()) == ["1", "1", "1"]


def test_a_new_outbox_does_not_announce_old_escalations(
    caretrail: Caretrail, clock: FakeClock
) -> None:
    opened = clock()
    seed(caretrail, clock, 2, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=3))
    Sweeper(caretrail).run()
    outbox = build_outbox(caretrail)
    outbox.setup()
    assert outbox.collect() == 0
    assert outbox.entries() == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"digest_time": "7h30"}, "CARETRAIL_DIGEST_TIME"),
        ({"timezone": "Mars/Olympus"}, "CARETRAIL_TIMEZONE"),
        ({"notifier": "webhook"}, "CARETRAIL_WEBHOOK_URL"),
    ],
)
def test_unworkable_settings_are_refused_when_the_service_is_made(
    caretrail: Caretrail, changes: dict[str, str], problem: str
) -> None:
    caretrail.settings = caretrail.settings.model_copy(update=changes)
    with pytest.raises(SchedulerConfigError, match=problem):
        build_scheduler(caretrail)


class FlakyLock(FileLeaderLock):
    """A lock the backend takes away once when told to (a PostgreSQL session dropped, say)."""

    lose = False

    def keep_alive(self) -> bool:
        if self.lose:
            self.lose = False
            return False
        return super().keep_alive()


def test_a_scheduler_that_loses_its_lock_steps_down_and_leads_again_once_it_holds_it(
    caretrail: Caretrail, tmp_path: Path
) -> None:
    lock = FlakyLock(tmp_path / "lock", poll_interval=0.02)
    sched = build_scheduler(caretrail, notifier=RecordingNotifier(), lock=lock,
                             lock_poll_seconds=0.05, heartbeat_seconds=0.02)
    with capture_logs() as logs:
        sched.start()
        try:
            assert sched.wait_until_leader(10)
            lock.lose = True
            assert poll(lambda: [e["event"] for e in logs].count("scheduler_leading") == 2)
            assert poll(lambda: sched.is_leader)
        finally:
            sched.shutdown()
    events = [e["event"] for e in logs if e["event"].startswith("scheduler_")]
    assert events[:3] == ["scheduler_leading", "scheduler_lock_lost", "scheduler_leading"]
    assert not lock.is_held()


def test_a_delivery_run_sends_at_most_its_share_of_messages_and_leaves_the_rest(
    caretrail: Caretrail, clock: FakeClock
) -> None:
    opened = clock()
    outbox = build_outbox(caretrail, batch_size=15, messages_per_run=2)
    outbox.setup()
    seed(caretrail, clock, 40, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=3))
    Sweeper(caretrail).run()
    assert outbox.collect() == 40
    notifier = RecordingNotifier()
    first = outbox.deliver(notifier)
    assert (first.sent, len(notifier.messages)) == (30, 2)
    second = outbox.deliver(notifier)
    assert second.sent == 10
    assert outbox.counts() == {"sent": 40}
    outbox.store.close()


def test_a_failing_notifier_is_not_hammered_within_one_delivery_run(
    caretrail: Caretrail, clock: FakeClock
) -> None:
    opened = clock()
    outbox = build_outbox(caretrail, batch_size=1)
    outbox.setup()
    seed(caretrail, clock, 6, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=3))
    Sweeper(caretrail).run()
    outbox.collect()
    notifier = RecordingNotifier()
    notifier.failing = True
    report = outbox.deliver(notifier)
    assert notifier.attempts == 3
    assert (report.failed, report.deferred) == (3, 3)
    assert sorted(e.attempts for e in outbox.entries()) == [0, 0, 0, 1, 1, 1]  # deferred: not charged
    outbox.store.close()


def test_shutting_down_right_after_a_sweep_never_hangs(caretrail: Caretrail, tmp_path: Path) -> None:
    for _ in range(8):  # the sweep job still finishing (and kicking delivery) as shutdown begins
        sched = service(caretrail, tmp_path / "lock")
        sched.start()
        assert sched.wait_for_sweeps(1, 10)
        with capture_logs() as logs:
            sched.shutdown(timeout=5)
        assert "scheduler_shutdown_timeout" not in [e["event"] for e in logs]
        assert not sched.lock.is_held()
