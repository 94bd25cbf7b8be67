"""``caretrail scheduler`` (standalone sweeps, digests, notifications) and ``caretrail digest``."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import structlog
import typer

from adapters.bootstrap import Caretrail, build, build_notifier, build_outbox, build_scheduler
from adapters.driven.clock import Clock
from adapters.driven.locks.port import LockError
from adapters.driven.notify.formats import plain_text
from adapters.driven.notify.outbox import Outbox
from adapters.driven.notify.port import DeliveryFailed, SchedulerConfigError
from adapters.driving.cli.common import CliError, JsonOpt, emit, open_caretrail
from adapters.driving.scheduler.digest import build_digest
from adapters.driving.scheduler.service import SchedulerService
from adapters.logging import configure_logging
from adapters.settings import Settings
from domain.errors import InvalidCommand
from domain.values import valid_id

log = structlog.get_logger()

FixedNowOpt = Annotated[
    str | None,
    typer.Option("--fixed-now", hidden=True, envvar="CARETRAIL_TEST_FIXED_NOW",
                 help="Testing only: the clock always says this ISO time."),
]


class FixedClock(Clock):
    """A clock stopped at one moment (crash tests drive a scheduler subprocess with it)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def scheduler(
    once: Annotated[
        bool, typer.Option("--once", help="Sweep, deliver and exit (fails if another scheduler leads).")
    ] = False,
    as_json: JsonOpt = False,
    fixed_now: FixedNowOpt = None,
) -> None:
    """Escalate overdue tasks, send digests and notifications; waits for the scheduler lock."""
    clock = _fixed_clock(fixed_now) if fixed_now else None
    settings = Settings()
    caretrail = build(settings, clock=clock)
    try:
        try:
            sched = build_scheduler(caretrail)
        except (SchedulerConfigError, LockError) as e:
            raise CliError(str(e)) from None
        # With --once, stdout is the report (maybe JSON): the log goes to stderr.
        configure_logging(settings.log_format, settings.log_level, sys.stderr if once else None)
        if clock is not None:
            log.warning("scheduler_fixed_clock", now=clock().isoformat())  # tests only
        try:
            if once:
                _once(sched, as_json)
            else:
                _run(sched)
        finally:
            sched.shutdown()
    finally:
        caretrail.close()


def _once(sched: SchedulerService, as_json: bool) -> None:
    if not sched.lock.acquire(blocking=False):
        raise CliError(f"another scheduler holds {sched.lock.describe()} "
                       f"({sched.lock.holder() or 'holder unknown'})")
    try:
        sched.outbox.setup()
        report = sched.sweep()
        assert report is not None  # we hold the lock
        delivery = sched.deliver()
    finally:
        sched.lock.release()
    emit(
        {"sweep": report.model_dump(mode="json"), "delivery": delivery.model_dump()},
        as_json,
        f"{report.escalated} escalation(s) recorded over {report.candidates} candidate task(s) "
        f"({report.refused} refused by their case, {report.failed} failed) in {report.seconds} s; "
        f"notifications sent {delivery.sent}, failed {delivery.failed}",
    )


def _run(sched: SchedulerService) -> None:
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    settings = sched.caretrail.settings
    if not sched.lock.acquire(blocking=False):
        holder = sched.lock.holder() or "a holder it cannot name"
        typer.echo(f"caretrail scheduler: waiting for {sched.lock.describe()} (held by {holder})")
    sched.start()
    typer.echo(
        f"caretrail scheduler: sweep every {settings.sweep_seconds:g} s, digest at "
        f"{settings.digest_time} {settings.timezone}, notifier {sched.notifier.name}"
    )
    stopping.wait()


def digest(
    school: Annotated[str, typer.Option("--school", help="School id.")],
    send: Annotated[bool, typer.Option("--send", help="Also send it with the configured notifier.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """A school's overdue digest: counts by kind and assignee, and the oldest tasks."""
    try:
        school = valid_id("--school", school)
    except InvalidCommand as e:
        raise CliError(str(e)) from None
    with open_caretrail() as caretrail:
        caretrail.runner.catch_up()
        if not caretrail.read.cases(school_ids=[school], limit=1).items:
            raise CliError(f"no cases at school {school}")
        report = build_digest(caretrail.read, school, caretrail.clock())
        if send:
            try:
                notifier = build_notifier(caretrail.settings)
            except SchedulerConfigError as e:
                raise CliError(str(e)) from None
            try:
                notifier.send(report)
            except DeliveryFailed as e:
                raise CliError(f"digest not sent: {e}") from None
            finally:
                notifier.close()
        emit(report, as_json, plain_text(report, ZoneInfo(caretrail.settings.timezone)))


notifications_cli = typer.Typer(
    help="The notification outbox: what waits to be sent, and what was given up.",
    no_args_is_help=True,
)
SchoolFilter = Annotated[str | None, typer.Option("--school", help="Only this school's messages.")]


@contextmanager
def _outbox(caretrail: Caretrail) -> Iterator[Outbox]:
    outbox = build_outbox(caretrail)
    try:
        outbox.setup()  # idempotent: the scheduler creates it too
        yield outbox
    finally:
        outbox.close()


@notifications_cli.command("status")
def notifications_status(as_json: JsonOpt = False) -> None:
    """Messages per status, and the given-up ones with their last error."""
    with open_caretrail() as caretrail, _outbox(caretrail) as outbox:
        counts = outbox.counts()
        failed = outbox.entries("failed")
    data = {
        "counts": {status: counts.get(status, 0) for status in ("pending", "sent", "failed")},
        "failed": [
            {"message_key": e.message_key, "kind": e.kind, "school_id": e.school_id,
             "attempts": e.attempts, "last_error": e.last_error}
            for e in failed
        ],
    }
    lines = [", ".join(f"{n} {status}" for status, n in data["counts"].items())]
    lines += [f"  failed: {e.kind} {e.school_id} after {e.attempts} attempts: {e.last_error}" for e in failed]
    emit(data, as_json, "\n".join(lines))


@notifications_cli.command("retry")
def notifications_retry(school: SchoolFilter = None, as_json: JsonOpt = False) -> None:
    """Send given-up messages again: the scheduler's next delivery run takes them."""
    if school is not None:
        try:
            school = valid_id("--school", school)
        except InvalidCommand as e:
            raise CliError(str(e)) from None
    with open_caretrail() as caretrail, _outbox(caretrail) as outbox:
        requeued = outbox.requeue_failed(school_id=school)
    emit({"requeued": requeued}, as_json,
         f"{requeued} given-up notification(s) queued again; the scheduler sends them on its next run")


def _fixed_clock(text: str) -> FixedClock:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"--fixed-now: '{text}' is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise CliError("--fixed-now needs a UTC offset")
    return FixedClock(moment)
