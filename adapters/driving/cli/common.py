"""What every CLI command shares: building the service, actors, times, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import typer
from pydantic import BaseModel

from adapters.bootstrap import Caretrail, build
from adapters.settings import Settings
from domain.values import Actor, Role

CaseArg = Annotated[str, typer.Argument(help="Case id (UUID).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
AsOpt = Annotated[str, typer.Option("--as", help="User id acting.", envvar="CARETRAIL_CLI_USER")]
PurposeOpt = Annotated[str | None, typer.Option(
    help="Why you read this personal data (kept in the access log).")]
RoleOpt = Annotated[Role, typer.Option("--role", help="Role the user acts in.")]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="When it happened (ISO 8601; no offset = school time). Default: now."),
]


class CliError(Exception):
    """Raised for bad input found by the CLI itself; printed as one line, exit 1."""


@contextmanager
def open_caretrail(settings: Settings | None = None) -> Iterator[Caretrail]:
    """The whole service for one command, closed afterwards."""
    caretrail = build(settings or Settings())
    try:
        yield caretrail
    finally:
        caretrail.close()


#: Roles a step on a case may be recorded in from the shell, as through the API: auditors
#: and admins write nothing, and ``system`` is the scheduler's alone.
WRITING_ROLES = (Role.TEACHER, Role.SUPERVISOR)


def actor(user_id: str, role: Role) -> Actor:
    """The user a command is recorded for; CliError for a role that writes nothing."""
    if role not in WRITING_ROLES:
        raise CliError(f"--role {role}: only a teacher or a supervisor acts on a case")
    return Actor(user_id=user_id, role=role)


def when(text: str | None, caretrail: Caretrail, option: str = "--at") -> datetime:
    """Parse ``--at`` (or ``option``): ISO 8601; a time without offset is in the school's
    time zone; none given, now."""
    return stated_time(text, caretrail.settings, option) or caretrail.clock()


def stated_time(text: str | None, settings: Settings, option: str = "--at") -> datetime | None:
    """Parse a time option (None if not given): ISO 8601; a time without offset is in the
    school's time zone."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"{option}: '{text}' is not an ISO 8601 date or time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.timezone))
    return moment


def case_uuid(text: str) -> UUID:
    """Parse a case id."""
    return uuid_of(text, "case id")


def uuid_of(text: str, what: str) -> UUID:
    """Parse an id given on the command line; ``what`` names it in the error."""
    try:
        return UUID(text)
    except ValueError:
        raise CliError(f"'{text}' is not a {what} (a UUID)") from None


def local(moment: datetime | None, caretrail: Caretrail) -> str:
    """A time for people: school time zone, to the minute."""
    if moment is None:
        return "-"
    return moment.astimezone(ZoneInfo(caretrail.settings.timezone)).strftime("%Y-%m-%d %H:%M")


def emit(data: Any, as_json: bool, text: str | None = None) -> None:
    """Print JSON (``--json``) or the human text."""
    if as_json:
        if isinstance(data, BaseModel):
            payload = data.model_dump(mode="json")
        elif isinstance(data, list):
            payload = [d.model_dump(mode="json") if isinstance(d, BaseModel) else d for d in data]
        else:
            payload = data
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")
    elif text is not None:
        typer.echo(text)
