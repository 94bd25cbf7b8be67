"""The scheduler: APScheduler 3.11 as an alarm clock over durable state, behind a leader lock.

``SchedulerService(...).start()`` (built by ``adapters.bootstrap.build_scheduler``)
returns at once; a background thread waits for the leader lock and, once it holds the
lock and, once it holds it, starts a ``BackgroundScheduler`` with three jobs:

- ``sweep``: at start-up and every ``sweep_seconds`` (coalesced, one instance at a time,
  never dropped as a misfire): escalate, apply the retention rule (``retention.py``),
  then collect notices into the outbox;
- ``deliver``: send what the outbox holds (also kicked after each sweep and digest);
- ``digest``: each day at ``digest_time`` in ``timezone``, one digest per school with
  overdue tasks (and once at start-up if today's time has passed: the outbox keeps it
  to one per school and day).

Jobs live in memory only: APScheduler's job stores cannot be shared and lose a job
killed mid-run, so nothing is kept there. ``shutdown()`` stops the jobs (a running sweep
stops between two tasks) and releases the lock.
"""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from adapters.driven.locks.port import LeaderLock
from adapters.driven.notify.outbox import DeliveryReport, Outbox
from adapters.driven.notify.port import Notifier
from adapters.driving.scheduler.digest import build_digest, digest_day, digest_due
from adapters.driving.scheduler.retention import RetentionReport, RetentionSweep
from adapters.driving.scheduler.sweep import Sources, Sweeper, SweepReport

log = structlog.get_logger()
#: The pause between delivery runs through a backlog for a receiver that takes only so many
#: messages a minute (``Notifier.paced``): one run's worth is a minute's.
PACED_SECONDS = 60.0
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


class SchedulerService:
    """Sweeps, digests and notification delivery for one store, while holding its leader lock."""

    def __init__(
        self,
        caretrail: Sources,
        *,
        notifier: Notifier,
        lock: LeaderLock,
        outbox: Outbox,
        tz: ZoneInfo,
        digest_at: time,
        sweep_seconds: float,
        lock_poll_seconds: float = 0.25,
        heartbeat_seconds: float = 5.0,
        retention: RetentionSweep | None = None,
    ) -> None:
        self.caretrail = caretrail
        self.tz = tz
        self.digest_at = digest_at
        self.sweep_seconds = sweep_seconds
        self.notifier = notifier
        self.lock = lock
        self.outbox = outbox
        self.sweeper = Sweeper(caretrail)
        self.retention = retention
        self.last_retention: RetentionReport | None = None
        self.lock_poll_seconds = lock_poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.sweeps = 0
        self.last_sweep: SweepReport | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._leading = threading.Event()
        self._resigning = threading.Event()
        self._kicks: dict[str, datetime] = {}
        self._kick_guard = threading.Lock()
        self._swept = threading.Condition()
        self._sweeping = threading.Lock()
        self._delivering = threading.Lock()

    # ------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Wait for the lock in the background, then lead until :meth:`shutdown`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._lead, name="scheduler-leader", daemon=True)
        self._thread.start()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop the jobs (a running sweep stops between tasks), release the lock; final."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("scheduler_shutdown_timeout", seconds=timeout)
            self._thread = None
        self.notifier.close()
        self.outbox.close()

    def stop(self) -> None:
        """Same as :meth:`shutdown`: the ``start()``/``stop()`` interface of serve's workers."""
        self.shutdown()

    @property
    def is_leader(self) -> bool:
        """True while this scheduler holds the lock and its jobs run."""
        return self._leading.is_set()

    def wait_until_leader(self, timeout: float) -> bool:
        """Block until this scheduler leads; False on timeout."""
        return self._leading.wait(timeout)

    def wait_for_sweeps(self, count: int, timeout: float) -> bool:
        """Block until ``count`` sweeps have finished since start; False on timeout."""
        with self._swept:
            return self._swept.wait_for(lambda: self.sweeps >= count, timeout)

    def jobs(self) -> list[Any]:
        """The APScheduler jobs while leading (empty otherwise)."""
        return self._scheduler.get_jobs() if self._scheduler is not None else []

    # ------------------------------------------------------------ the jobs
    def sweep(self) -> SweepReport | None:
        """Escalate, then queue the notices and kick delivery. None if the lock was lost."""
        with self._sweeping:  # a sweep run by hand never overlaps the job's
            if not self.lock.keep_alive():
                self._lost()
                return None
            report = self.sweeper.run(should_stop=self._should_stop)
            if self.retention is not None:
                try:
                    self.last_retention = self.retention.run(should_stop=self._should_stop)
                except Exception:  # the views or the store are down: the next sweep tries again
                    log.exception("retention_sweep_failed")
            self.outbox.collect()
        with self._swept:
            self.sweeps += 1
            self.last_sweep = report
            self._swept.notify_all()
        self._kick("deliver")
        return report

    def deliver(self) -> DeliveryReport:
        """Send what the outbox holds and is due; after a run that left some due, run again
        at once (a minute later for a robot that takes only so many a minute), until drained."""
        with self._delivering:  # one delivery at a time, or a row could be sent twice
            report = self.outbox.deliver(self.notifier)
        if report.sent or report.failed or report.gave_up:
            log.info("notifications_delivered", notifier=self.notifier.name, **report.model_dump())
        if report.backlog:
            self._kick("deliver", after=PACED_SECONDS if self.notifier.paced else 0.0)
        return report

    def send_digests(self) -> int:
        """Queue today's digest of every school with overdue tasks; return how many were new."""
        self.caretrail.runner.catch_up()
        now = self.caretrail.clock()
        day = digest_day(now, self.tz)
        queued = sum(
            self.outbox.add_digest(build_digest(self.caretrail.read, school, now), day)
            for school in self.caretrail.read.overdue_schools(now=now)
        )
        log.info("digests_queued", day=day.isoformat(), queued=queued)
        self._kick("deliver")
        return queued

    # ------------------------------------------------------------ leading
    def _lead(self) -> None:
        while not self._stop.is_set():
            if not self.lock.acquire(timeout=self.lock_poll_seconds):
                continue
            try:
                self._wake.clear()
                self._resigning.clear()
                self.outbox.setup()
                self._start_jobs()
                self._leading.set()
                log.info("scheduler_leading", lock=self.lock.describe())
                while not self._stop.is_set() and not self._resigning.is_set():
                    if self._wake.wait(self.heartbeat_seconds):
                        self._wake.clear()
                    self._run_kicked()
                    if not self._stop.is_set() and not self.lock.keep_alive():
                        self._lost()
            except Exception:
                log.exception("scheduler_failed")
                self._stop.wait(self.lock_poll_seconds)
            finally:
                self._leading.clear()
                self._stop_jobs()
                self.lock.release()

    def _lost(self) -> None:
        """The lock is gone: a running sweep stops between tasks, the jobs stop, we wait again."""
        if not self._resigning.is_set():
            log.error("scheduler_lock_lost", lock=self.lock.describe())
        self._resigning.set()
        self._wake.set()

    def _should_stop(self) -> bool:
        return self._stop.is_set() or self._resigning.is_set()

    def _start_jobs(self) -> None:
        scheduler = BackgroundScheduler(timezone=self.tz, job_defaults=dict(JOB_DEFAULTS))
        now = datetime.now(self.tz)
        every = self.sweep_seconds
        scheduler.add_job(self._job(self.sweep), IntervalTrigger(seconds=every, timezone=self.tz),
                          id="sweep", name="escalation sweep", next_run_time=now)
        scheduler.add_job(self._job(self.deliver), IntervalTrigger(seconds=every, timezone=self.tz),
                          id="deliver", name="notification delivery")
        scheduler.add_job(
            self._job(self.send_digests),
            CronTrigger(hour=self.digest_at.hour, minute=self.digest_at.minute, timezone=self.tz),
            id="digest", name="daily digest",
        )
        scheduler.start()
        self._scheduler = scheduler
        if digest_due(self.caretrail.clock(), self.digest_at, self.tz):
            # Down at digest time: send today's now (at most one per school and day). A kick
            # of the daily job, not a one-off job: APScheduler removes a one-off job after
            # its run, and fails doing so (JobLookupError) if it is shut down meanwhile.
            self._kick("digest")

    def _stop_jobs(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=True)

    def _kick(self, job_id: str, after: float = 0.0) -> None:
        """Ask the leader thread to run a job now.

        Jobs never touch the scheduler themselves: APScheduler's ``shutdown(wait=True)``
        holds the job store lock while it waits for running jobs, so a job reaching for
        that lock during shutdown would deadlock. The leader thread alone starts, kicks
        and stops the scheduler. ``after``: seconds from now (the earliest kick wins).
        """
        at = datetime.now(self.tz) + timedelta(seconds=after)
        with self._kick_guard:
            self._kicks[job_id] = min(at, self._kicks.get(job_id, at))
        self._wake.set()

    def _run_kicked(self) -> None:
        with self._kick_guard:
            kicks, self._kicks = self._kicks, {}
        scheduler = self._scheduler
        if scheduler is None or not scheduler.running:
            return
        for job_id, at in kicks.items():
            job = scheduler.get_job(job_id)
            if job is not None and (job.next_run_time is None or at < job.next_run_time):
                job.modify(next_run_time=at)

    def _job(self, work: Any) -> Any:
        def run() -> None:
            try:
                work()
            except Exception:  # logged here; the next run tries again
                log.exception("scheduler_job_failed", job=work.__name__)

        run.__name__ = work.__name__
        return run
