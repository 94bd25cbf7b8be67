"""``caretrail teachers ...``: a school's roster of teachers (no login needed)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from adapters.driven.auth.models import Teacher, TeacherRole
from adapters.driven.auth.roster import RosterError
from adapters.driving.cli.common import CliError, JsonOpt, emit
from adapters.driving.cli.users import accounts
from domain.values import valid_id

teachers_cli = typer.Typer(help="The teacher roster of a school: add, list, leave.", no_args_is_help=True)
SchoolOpt = Annotated[str, typer.Option("--school", help="School id.")]


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"{option}: '{text}' is not a date (YYYY-MM-DD)") from None


def describe(t: Teacher) -> str:
    """One line of the roster."""
    state = f"left {t.left_on}" if t.left_on else "active"
    return f"{t.teacher_id:<24} {t.name or '-':<12} {','.join(t.roles) or '-':<50} {state}"


@teachers_cli.command("list")
def list_teachers(
    school: SchoolOpt,
    all_: Annotated[bool, typer.Option("--all", help="Those who left too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """A school's teachers (the active ones, unless --all)."""
    school_id = valid_id("--school", school)
    with accounts() as acc:
        found = acc.roster.all(school_id) if all_ else acc.roster.active(school_id)
    emit(found, as_json, "\n".join(describe(t) for t in found) or f"no teacher on the roster of {school_id}")


@teachers_cli.command("add")
def add_teacher(
    teacher: Annotated[str, typer.Argument(help="Teacher id (工号, or the login's user id).")],
    school: SchoolOpt,
    role: Annotated[list[TeacherRole], typer.Option(
        "--role", help="head_teacher, subject_teacher, counselling_teacher or mentor; repeat.")],
    name: Annotated[str | None, typer.Option(help="The teacher's name.")] = None,
    joined: Annotated[str | None, typer.Option(help="Joined the school on (YYYY-MM-DD).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Put a teacher on a school's roster, or change their name and roles (active again)."""
    record = Teacher(
        teacher_id=valid_id("teacher", teacher), school_id=valid_id("--school", school),
        name=name.strip() if name and name.strip() else None,
        roles=tuple(dict.fromkeys(role)), joined_on=_date(joined, "--joined"),
    )
    with accounts() as acc:
        acc.roster.add([record])
    emit(record, as_json, f"teacher {record.teacher_id} on the roster of {record.school_id}: "
         f"{', '.join(record.roles)}")


@teachers_cli.command("leave")
def leave(
    teacher: Annotated[str, typer.Argument(help="Teacher id.")],
    school: Annotated[str | None, typer.Option(
        "--school", help="School id (needed if they teach at several).")] = None,
    on: Annotated[str | None, typer.Option(help="Left on (YYYY-MM-DD). Default: today.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark a teacher as having left: they take no new case (hand their cases over next)."""
    left_on = _date(on, "--on")
    with accounts() as acc:
        try:
            school_id = acc.roster.school_of(teacher, valid_id("--school", school) if school else None)
            changed = acc.roster.leave(school_id, teacher, left_on)
        except RosterError as e:
            raise CliError(str(e)) from None
        record = acc.roster.get(school_id, teacher)
    emit({"teacher_id": teacher, "school_id": school_id, "left": changed,
          "left_on": record.left_on.isoformat() if record and record.left_on else None}, as_json,
         f"teacher {teacher} left {school_id} on {record.left_on if record else left_on}"
         + ("" if changed else " (already recorded)"))
