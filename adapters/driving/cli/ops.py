"""Operator commands: ``caretrail migrate`` (tables, or a copy from SQLite) and ``worker``."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer

from adapters.bootstrap import BackgroundWork, build, build_accounts, build_outbox
from adapters.driven.events.copy import CopyError, copy_events, copy_keys, reencodes, verify_copy
from adapters.driven.events.namespace import FILE_NAME as NAMESPACE_FILE
from adapters.driven.events.namespace import keep_namespace
from adapters.driven.keys.master import FILE_NAME as MASTER_FILE
from adapters.driven.keys.master import keep_master_key, read_key
from adapters.driving.cli.common import CliError, JsonOpt, emit
from adapters.driving.rebuild import RebuildFailed, rebuild_views
from adapters.logging import configure_logging
from adapters.settings import Settings

log = structlog.get_logger()


def migrate(
    from_url: Annotated[
        str | None,
        typer.Option("--from", help="Copy the events of this store first: sqlite:/// and the "
                     "data directory, e.g. sqlite:///./caretrail-data or sqlite:////srv/data."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create the event tables, view tables and indexes (once, before starting workers).

    With ``--from``, copy a SQLite store's events first. Running the same command again
    after an interrupted or failed copy finishes it.
    """
    settings = Settings()
    source_dir = _source_dir(from_url) if from_url is not None else None
    source = None
    if source_dir is not None:
        # Decodes the first event: a wrong cipher key stops here, before anything is written.
        source = build(settings.model_copy(update={"database_url": f"sqlite:///{source_dir}"}),
                       create_tables=False)
    try:
        if source is not None and settings.id_namespace is None:
            # The copied case ids are the source's: so is the target's namespace.
            keep_namespace(settings.sqlite_dir / NAMESPACE_FILE, source.cases.id_namespace)
        if source_dir is not None:
            _keep_master_key(settings, source_dir)
        target = build(settings, create_tables=True)
        try:
            # (A target holding events is the copy's to judge: the same ones, or refused.)
            if (source is not None and not target.cases.position()
                    and target.cases.id_namespace != source.cases.id_namespace):
                raise CliError("the target's id namespace is not the source's: set "
                               "CARETRAIL_ID_NAMESPACE to the source's (docs/operations.md)")
            report: dict[str, object] = {"store": _describe(settings), "created": True}
            if source is not None:
                report |= _copy(source, target)
            # A copied log is history: the outbox starts after it, as a new outbox does
            # (an interrupted earlier run may have created it at the start of the log).
            _create_side_tables(target, outbox_at_head=source is not None)
            if source is not None:
                with typer.progressbar(length=target.runner.head(), label="views", file=sys.stderr) as bar:
                    try:
                        rebuild_views(target, progress=bar.update)
                    except RebuildFailed as e:
                        raise CliError(f"{e}. The events are copied; run "
                                       "`caretrail projections rebuild` to finish the views.") from None
            emit(report, as_json, "\n".join(f"{k}: {v}" for k, v in report.items()))
        finally:
            target.close()
    finally:
        if source is not None:
            source.close()


def _keep_master_key(settings: Settings, source_dir: Path) -> None:
    """The copied events are encrypted under the source's master key: so is the target
    (unless a setting names the key of both)."""
    if settings.cipher_key is None and settings.cipher_key_file is None and (
        (source_dir / MASTER_FILE).exists()
    ):
        keep_master_key(settings.sqlite_dir / MASTER_FILE, read_key(source_dir / MASTER_FILE))


def _source_dir(from_url: str) -> Path:
    if not from_url.startswith("sqlite:///"):
        raise CliError("--from must be a sqlite:/// URL of a caretrail data directory")
    source_dir = Path(from_url.removeprefix("sqlite:///"))
    if not (source_dir / "events.sqlite").is_file():
        raise CliError(f"--from: no caretrail store in {source_dir.resolve()} (events.sqlite "
                       "missing; an absolute path takes four slashes: sqlite:////srv/data)")
    return source_dir


def _copy(source: Any, target: Any) -> dict[str, object]:
    if not target.settings.is_postgres and (
        source.settings.sqlite_dir.resolve() == target.settings.sqlite_dir.resolve()
    ):
        raise CliError("--from names the target store itself")
    total = source.cases.position()
    try:
        keys = copy_keys(source.cases, target.cases)  # before the events: never a ciphertext without its key
        converted = reencodes(source.cases, target.cases)
        with typer.progressbar(length=total, label="copying events", file=sys.stderr) as bar:
            copied = copy_events(source.cases, target.cases, progress=bar.update)
        with typer.progressbar(length=total, label="verifying", file=sys.stderr) as bar:
            replayed = verify_copy(source.cases, target.cases, progress=bar.update)
    except CopyError as e:
        raise CliError(f"copy failed: {e}") from None
    return {"copied_events": copied.events, "aggregates_replayed": replayed, "case_keys": keys,
            "encrypted_in_copy": converted}


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
    caretrail = build(settings)
    background = BackgroundWork.for_process(caretrail, scheduler=scheduler)
    try:
        background.start()
        log.info("worker_started", store=_describe(caretrail.settings), scheduler=scheduler)
        stopping.wait()
    finally:
        background.stop()
        caretrail.close()


def _create_side_tables(caretrail: Any, *, outbox_at_head: bool = False) -> None:
    """The tables besides events and views: users and tokens, the notification outbox
    (moved to the log's head if ``outbox_at_head``, even if it existed)."""
    build_accounts(caretrail.settings, caretrail.clock, create_tables=True).close()
    outbox = build_outbox(caretrail)
    try:
        outbox.setup()
        if outbox_at_head:
            outbox.skip_to_head()
    finally:
        outbox.close()


def _describe(settings: Settings) -> str:
    if settings.is_postgres:
        assert settings.database_url is not None
        where = settings.database_url.split("@")[-1]  # never print a password
        return f"postgresql://…@{where} (schema {settings.postgres_schema or 'public'})"
    return f"sqlite:///{settings.sqlite_dir.resolve()}"
