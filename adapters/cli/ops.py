"""Operator commands: ``caretrail migrate`` (tables, or a copy from SQLite) and ``worker``."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer

from adapters.auth.accounts import build_accounts
from adapters.background import Background
from adapters.bootstrap import build
from adapters.cli.common import CliError, JsonOpt, emit
from adapters.copy_store import CopyError, copy_events, verify_copy
from adapters.logging import configure_logging
from adapters.rebuild import RebuildFailed, rebuild_views
from adapters.scheduler.outbox import Outbox
from adapters.settings import Settings

log = structlog.get_logger()


def migrate(
    from_url: Annotated[
        str | None,
        typer.Option("--from", help="Copy the events of this store first, e.g. sqlite:///./caretrail-data."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create the event tables, view tables and indexes (once, before starting workers)."""
    settings = Settings()
    target = build(settings, create_tables=True)
    try:
        _create_side_tables(target)
        report: dict[str, object] = {"store": _describe(settings), "created": True}
        if from_url is not None:
            if not from_url.startswith("sqlite:///"):
                raise CliError("--from must be a sqlite:/// URL of a caretrail data directory")
            source_dir = Path(from_url.removeprefix("sqlite:///"))
            if not (source_dir / "events.sqlite").is_file():
                raise CliError(f"--from: no caretrail store in {source_dir} (events.sqlite missing)")
            if target.cases.position() > 0:
                raise CliError("the target store already has events; copy only into an empty store")
            source = build(settings.model_copy(update={"database_url": from_url}), create_tables=False)
            try:
                total = source.cases.position()
                with typer.progressbar(length=total, label="copying events", file=None) as bar:
                    copied = copy_events(source.cases, target.cases, progress=bar.update)
                with typer.progressbar(length=total, label="verifying", file=None) as bar:
                    replayed = verify_copy(source.cases, target.cases, progress=bar.update)
            except CopyError as e:
                raise CliError(f"copy failed: {e}") from None
            finally:
                source.close()
            with typer.progressbar(length=target.runner.head(), label="views", file=None) as bar:
                try:
                    rebuild_views(target, progress=bar.update)
                except RebuildFailed as e:
                    raise CliError(f"{e}. The events are copied; run "
                                   "`caretrail projections rebuild` to finish the views.") from None
            report |= {"copied_events": copied.events, "aggregates_replayed": replayed}
        emit(report, as_json, "\n".join(f"{k}: {v}" for k, v in report.items()))
    finally:
        target.close()


def worker(
    scheduler: Annotated[bool, typer.Option(
        "--scheduler/--no-scheduler", help="Also run the scheduler (it waits for the leader lock).")] = True,
) -> None:
    """Keep the views current and run the scheduler until stopped: the non-HTTP half."""
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    app = build(settings)
    background = Background.for_process(app, scheduler=scheduler)
    try:
        background.start()
        log.info("worker_started", store=_describe(app.settings), scheduler=scheduler)
        stopping.wait()
    finally:
        background.stop()
        app.close()


def _create_side_tables(app: Any) -> None:
    """The tables besides events and views: users and tokens, the notification outbox."""
    build_accounts(app.settings, app.clock, create_tables=True).close()
    from adapters.bootstrap import view_stores

    store = view_stores(app.settings, ["outbox"])["outbox"]
    try:
        Outbox(store, app).setup()
    finally:
        store.close()


def _describe(settings: Settings) -> str:
    if settings.is_postgres:
        assert settings.database_url is not None
        where = settings.database_url.split("@")[-1]  # never print a password
        return f"postgresql://…@{where} (schema {settings.postgres_schema or 'public'})"
    return f"sqlite:///{settings.sqlite_dir.resolve()}"
