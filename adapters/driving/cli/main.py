"""The ``caretrail`` command: builds nothing at import; errors are one line, never a traceback."""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from datetime import timedelta
from typing import Annotated, NoReturn
from urllib.parse import unquote

import typer
from eventsourcing.persistence import MapperDeserialisationError
from pydantic import ValidationError

from adapters.bootstrap import Caretrail, StartupError, StoreNotMigrated, build_accounts
from adapters.driving.cli import (
    access_request,
    case,
    consent,
    demo_people,
    handover,
    imports,
    ops,
    report,
    retention,
    school,
    views,
)
from adapters.driving.cli import scheduler as scheduler_cli
from adapters.driving.cli import serve as serve_cli
from adapters.driving.cli import teachers as teachers_cli
from adapters.driving.cli import users as users_cli
from adapters.driving.cli.common import CliError, JsonOpt, emit, open_caretrail, when
from adapters.driving.demo import generate, school_ids
from adapters.driving.demo_roster import demo_roster
from adapters.logging import Stderr, configure_logging
from domain.errors import DomainError
from domain.values import EARLIEST_OCCURRED_AT
from projections.queries import BadCursor
from workflows.definition import DefinitionError
from workflows.registry import UnknownWorkflow
from workflows.text import check_text

cli = typer.Typer(
    name="caretrail",
    help="Follow-up of left-behind children's cases (留守儿童关爱跟踪).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
cli.add_typer(case.case_cli, name="case")
case.case_cli.command("consent")(consent.record_consent)
case.case_cli.command("withdraw-consent")(consent.withdraw_consent)
case.case_cli.command("access-request")(access_request.access_request)
cli.add_typer(views.projections_cli, name="projections")
cli.command("tasks")(views.tasks)
cli.command("migrate")(ops.migrate)
cli.command("worker")(ops.worker)
cli.command("scheduler")(scheduler_cli.scheduler)
cli.command("digest")(scheduler_cli.digest)
cli.add_typer(scheduler_cli.notifications_cli, name="notifications")
cli.command("serve")(serve_cli.serve)
cli.add_typer(users_cli.users_cli, name="users")
cli.add_typer(users_cli.tokens_cli, name="tokens")
cli.add_typer(teachers_cli.teachers_cli, name="teachers")
cli.add_typer(imports.import_cli, name="import")
cli.command("demo-people")(demo_people.demo_people)
cli.command("report")(report.report)
cli.add_typer(retention.retention_cli, name="retention")
cli.add_typer(school.school_cli, name="school")
case.case_cli.command("close-many")(school.close_many_cases)
teachers_cli.teachers_cli.command("handover")(handover.handover)


@cli.command()
def init(as_json: JsonOpt = False) -> None:
    """Create the data directory, the event store and the views (idempotent)."""
    with open_caretrail() as caretrail:
        emit(
            {
                "data_dir": str(caretrail.settings.sqlite_dir.resolve()),
                "position": caretrail.cases.position(),
            },
            as_json,
            f"caretrail store ready in {caretrail.settings.sqlite_dir.resolve()}",
        )


@cli.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 7,
    schools: Annotated[int, typer.Option(min=1, max=1000, help="How many schools.")] = 1,
    until: Annotated[str | None, typer.Option(
        help="End of the history, ISO 8601; no offset = school time (default: now).")] = None,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing if the store has events.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Load a synthetic school year: ~150 left-behind children per school."""
    with open_caretrail() as caretrail:
        end = when(until, caretrail, "--until")
        if end > caretrail.clock():
            raise CliError(f"--until: {until} is in the future; a demo history ends by now")
        if end < EARLIEST_OCCURRED_AT + timedelta(days=366):
            raise CliError(f"--until: {until} is too early; a demo history starts a year before it")
        if if_empty and caretrail.cases.position() > 0:
            emit({"skipped": True}, as_json, "store already has data: demo not loaded")
            return
        if caretrail.cases.position() > 0:
            raise CliError("the store already has data; demo data goes into an empty store")
        moment = [end]
        real_clock = caretrail.cases.clock
        caretrail.cases.clock = lambda: moment[0]
        try:
            expected = schools * 150 * 55
            with typer.progressbar(length=expected, label="demo history", file=sys.stderr) as bar:
                summary = generate(
                    caretrail.cases, lambda at: moment.__setitem__(0, at), seed=seed, schools=schools,
                    until=end, progress=bar.update,
                )
        finally:
            caretrail.cases.clock = real_clock
        _demo_rosters(caretrail, summary.schools)
        with typer.progressbar(length=caretrail.runner.head(), label="views", file=sys.stderr) as bar:
            caretrail.runner.catch_up(progress=bar.update)
        emit(
            {"schools": summary.schools, "cases": summary.cases, "commands": summary.commands,
             "events": caretrail.cases.position(), "users": summary.users},
            as_json,
            f"demo loaded: {summary.schools} school(s), {summary.cases} cases, "
            f"{summary.commands} commands, {caretrail.cases.position()} events\n"
            f"try: caretrail tasks --overdue --school school-001",
        )


def _demo_rosters(caretrail: Caretrail, schools: int) -> None:
    """The demo schools' teachers on their rosters (no logins: ``demo-people`` adds some)."""
    accounts = build_accounts(caretrail.settings, caretrail.clock)
    try:
        for school_id in school_ids(schools):
            accounts.roster.add(demo_roster(school_id))
    finally:
        accounts.close()


def main() -> None:
    """Entry point: run the command line, turn every expected failure into one line on stderr."""
    # Whatever this process and its workers write is its user's alone: children's data.
    os.umask(0o077)
    for n, arg in enumerate(sys.argv[1:], 1):
        try:
            check_text(arg, f"argument {n}")
        except ValueError as e:
            _fail(str(e), 2)
    # A command's log lines go to stderr: stdout is its answer (--json). The long-running
    # commands (serve, worker, scheduler) configure their own logging from the settings.
    configure_logging("auto", "INFO", Stderr(), cache=False)
    try:
        result = cli(standalone_mode=False)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.TyperException as e:
        # Usage errors (a missing argument, a bad option value, an unknown command): the
        # usage line and the problem, exit 2. Typer carries its own copy of click, so
        # these are not ``click.ClickException``.
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"caretrail: {e.format_message()}\n")
        sys.exit(e.exit_code)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except (DomainError, CliError, BadCursor, DefinitionError, UnknownWorkflow, StoreNotMigrated,
            StartupError) as e:
        _fail(str(e), 1)
    except MapperDeserialisationError as e:
        _fail(
            "cannot read the stored events with this configuration (check CARETRAIL_CIPHER_KEY "
            f"and CARETRAIL_COMPRESS_EVENTS): {str(e).splitlines()[0]}", 1,
        )
    except ValidationError as e:
        setting = e.title == "Settings"  # an environment variable, not a command's input
        _fail("; ".join(_problem(err, setting) for err in e.errors()), 1)
    except sqlite3.OperationalError as e:
        if "locked" not in str(e):
            _internal(e)
        # Another process holds a file longer than the wait allows (a rebuild holds a view
        # for seconds at a time). Exit 75: EX_TEMPFAIL, try again later.
        _fail(
            "the store is busy: another process kept a SQLite file locked longer than "
            "CARETRAIL_SQLITE_LOCK_TIMEOUT allows (a rebuild, for instance); try again", 75,
        )
    except OSError as e:  # a data directory that is a file, a disk that is full or read-only
        where = f": {e.filename}" if e.filename else ""
        _fail(f"{e.strerror or type(e).__name__}{where}", 74)  # EX_IOERR
    except Exception as e:  # the last line of defence: no traceback to users
        _internal(e)
    sys.exit(result if isinstance(result, int) else 0)


def _internal(e: Exception) -> NoReturn:
    """An unexpected failure: one line (the traceback with CARETRAIL_DEBUG=1), exit 70 —
    unless it is the database out of reach or a store the process cannot open."""
    if os.environ.get("CARETRAIL_DEBUG"):
        raise e
    text = str(e)
    if type(e).__module__.startswith("psycopg"):  # imported only then: not on every command
        import psycopg
        from psycopg_pool import PoolTimeout

        if isinstance(e, psycopg.errors.LockNotAvailable):  # as for SQLite: EX_TEMPFAIL
            _fail("the store is busy: another process held a lock longer than "
                  "CARETRAIL_POSTGRES_LOCK_TIMEOUT allows; try again", 75)
        if isinstance(e, PoolTimeout) or (
            isinstance(e, psycopg.OperationalError) and "connection" in text
        ):  # EX_UNAVAILABLE
            _fail(f"cannot connect to the PostgreSQL database of CARETRAIL_DATABASE_URL: {text}", 69)
        if isinstance(e, psycopg.ProgrammingError) and ("URI" in text or "percent-encoded" in text):
            _fail(f"CARETRAIL_DATABASE_URL is not a valid PostgreSQL URL: {text}", 1)
    if "unable to open database file" in text or "readonly database" in text:
        _fail(f"cannot open or write the SQLite store ({text}): check CARETRAIL_DATA_DIR "
              "and its permissions", 74)  # EX_IOERR
    _fail(f"internal error ({type(e).__name__}): {text}. Set CARETRAIL_DEBUG=1 for details.", 70)


def _problem(err: dict[str, object], setting: bool = False) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("function-after",))  # type: ignore[attr-defined]
    if setting and loc:
        loc = f"CARETRAIL_{loc.upper()}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def _fail(message: str, code: int) -> NoReturn:
    line = _redact(message.splitlines()[0]) if message else "error"
    sys.stderr.write(f"caretrail: {line}\n")
    sys.exit(code)


_URL_PASSWORD = re.compile(r"(\w+://[^:/@\s\"]*:)[^@\s\"]*@")


def _redact(line: str) -> str:
    """No database password in an error line, even one a driver quotes from a bad URL."""
    line = _URL_PASSWORD.sub(r"\1***@", line)
    found = _URL_PASSWORD.search(os.environ.get("CARETRAIL_DATABASE_URL", ""))
    if found:
        password = found.group(0)[len(found.group(1)):-1]
        for form in {password, unquote(password)} - {""}:
            line = line.replace(form, "***")
    return line
