"""``caretrail import children|teachers FILE --school S [--dry-run]``: a school's registers."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from adapters.bootstrap import build_accounts, guard_assignments
from adapters.driving.cli.common import AsOpt, CliError, JsonOpt, emit, open_caretrail
from adapters.driving.cli.users import accounts
from adapters.driving.imports.children import ChildPlanner, head_teachers
from adapters.driving.imports.columns import (
    CHILD_COLUMNS,
    CHILD_REQUIRED,
    TEACHER_COLUMNS,
    TEACHER_REQUIRED,
    header_test,
)
from adapters.driving.imports.messages import say, shell_locale
from adapters.driving.imports.reading import MAX_BYTES, FileRefused, Table, read_table
from adapters.driving.imports.run import ImportReport, import_children, import_teachers
from adapters.driving.imports.teachers import plan_teachers
from domain.values import Actor, Role, valid_id

import_cli = typer.Typer(help="Import a school's registers (.xlsx or .csv).", no_args_is_help=True)
FileArg = Annotated[Path, typer.Argument(help="The register: .xlsx, or .csv (UTF-8 or GB18030).")]
SchoolOpt = Annotated[str, typer.Option("--school", help="The school the register is of.")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Check every row and report; write nothing.")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="zh_CN or en (default: from LANG).")]


def _read(path: Path, locale: str, columns: Any, required: Any) -> Table:
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    if path.stat().st_size > MAX_BYTES:
        raise CliError(say(locale, "file", "too-large", limit=MAX_BYTES // (1024 * 1024)))
    try:
        return read_table(path.read_bytes(), path.name, header_test(columns, required))
    except FileRefused as e:
        raise CliError(_refusal(e, locale, columns, required)) from None


def _refusal(e: FileRefused, locale: str, columns: Any, required: Any) -> str:
    if e.code == "no-header":
        e.params["columns"] = "、".join(columns[k][0] for k in required[:2])
    return say(locale, "file", e.code, **e.params)


def _show(report: ImportReport, locale: str, as_json: bool) -> None:
    emit(report.as_json(locale), as_json, "\n".join(report.lines(locale)))


@import_cli.command("children")
def children(file: FileArg, school: SchoolOpt, dry_run: DryOpt = False, user: AsOpt = "cli",
             lang: LangOpt = None, as_json: JsonOpt = False) -> None:
    """Import a children's register: each good row opens a case (a second run adds nothing)."""
    locale = shell_locale(lang)
    school_id = valid_id("--school", school)
    actor = Actor(user_id=valid_id("--as", user), role=Role.SUPERVISOR)
    table = _read(file, locale, CHILD_COLUMNS, CHILD_REQUIRED)
    with open_caretrail() as caretrail:
        acc = build_accounts(caretrail.settings, caretrail.clock)
        try:
            guard_assignments(caretrail, acc)
            planner = ChildPlanner(school_id, head_teachers(acc.roster.active(school_id)),
                                   caretrail.cases.case_id_for, caretrail.clock(),
                                   ZoneInfo(caretrail.settings.timezone))
            try:
                rows, problems = planner.plan(table)
            except FileRefused as e:
                raise CliError(_refusal(e, locale, CHILD_COLUMNS, CHILD_REQUIRED)) from None
            bar = (typer.progressbar(length=len(rows), label="import", file=sys.stderr)
                   if sys.stderr.isatty() and rows else nullcontext(None))
            with bar as shown:
                report = import_children(caretrail.cases, rows, problems, actor, dry_run=dry_run,
                                         progress=shown.update if shown is not None else None)
        finally:
            acc.close()
        if not dry_run and report.created:
            caretrail.runner.catch_up()
    _show(report, locale, as_json)


@import_cli.command("teachers")
def teachers(file: FileArg, school: SchoolOpt, dry_run: DryOpt = False, lang: LangOpt = None,
             as_json: JsonOpt = False) -> None:
    """Import a teachers' register onto the school's roster (工号, 姓名, 角色, 入职日期, 离职日期)."""
    locale = shell_locale(lang)
    school_id = valid_id("--school", school)
    table = _read(file, locale, TEACHER_COLUMNS, TEACHER_REQUIRED)
    try:
        rows, problems = plan_teachers(table, school_id)
    except FileRefused as e:
        raise CliError(_refusal(e, locale, TEACHER_COLUMNS, TEACHER_REQUIRED)) from None
    with accounts() as acc:
        report = import_teachers(acc.roster, rows, problems, dry_run=dry_run)
    _show(report, locale, as_json)
