"""``caretrail import children|teachers FILE --school S [--dry-run]``: a school's registers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated

import typer

from adapters.bootstrap import build_accounts, guard_assignments
from adapters.driving.cli.common import AsOpt, CliError, JsonOpt, emit, open_caretrail
from adapters.driving.imports.messages import say, shell_locale
from adapters.driving.imports.reading import MAX_BYTES, FileRefused
from adapters.driving.imports.run import ImportReport
from adapters.driving.imports.service import Imports, Progress, describe
from domain.values import Actor, Role, valid_id

import_cli = typer.Typer(help="Import a school's registers (.xlsx or .csv).", no_args_is_help=True)
FileArg = Annotated[Path, typer.Argument(help="The register: .xlsx, or .csv (UTF-8 or GB18030).")]
SchoolOpt = Annotated[str, typer.Option("--school", help="The school the register is of.")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Check every row and report; write nothing.")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="zh_CN or en (default: from LANG).")]


def _bytes(path: Path, locale: str) -> bytes:
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    if path.stat().st_size > MAX_BYTES:  # not even read
        raise CliError(say(locale, "file", "too-large", limit=MAX_BYTES // (1024 * 1024)))
    return path.read_bytes()


@contextmanager
def _imports(locale: str) -> Iterator[Imports]:
    """The deployment's imports; a refused file is one line on stderr."""
    with open_caretrail() as caretrail:
        accounts = build_accounts(caretrail.settings, caretrail.clock)
        try:
            guard_assignments(caretrail, accounts)
            yield Imports(caretrail, accounts)
        except FileRefused as e:
            raise CliError(describe(e, locale)) from None
        finally:
            accounts.close()


def _show(report: ImportReport, locale: str, as_json: bool) -> None:
    emit(report.as_json(locale), as_json, "\n".join(report.lines(locale)))


@import_cli.command("children")
def children(file: FileArg, school: SchoolOpt, dry_run: DryOpt = False, user: AsOpt = "operator",
             lang: LangOpt = None, as_json: JsonOpt = False) -> None:
    """Import a children's register: each good row opens a case (a second run adds nothing)."""
    locale = shell_locale(lang)
    school_id = valid_id("--school", school)
    actor = Actor(user_id=valid_id("--as", user), role=Role.SUPERVISOR)
    data = _bytes(file, locale)
    with ExitStack() as bars, _imports(locale) as imports:

        def start(rows: int) -> Progress | None:  # a bar on a terminal only
            if not sys.stderr.isatty():
                return None
            bar = bars.enter_context(typer.progressbar(length=rows, label="import", file=sys.stderr))
            return bar.update

        report = imports.children(data, file.name, school_id, actor, dry_run=dry_run, start=start)
    _show(report, locale, as_json)


@import_cli.command("teachers")
def teachers(file: FileArg, school: SchoolOpt, dry_run: DryOpt = False, lang: LangOpt = None,
             as_json: JsonOpt = False) -> None:
    """Import a teachers' register onto the school's roster (工号, 姓名, 角色, 入职日期, 离职日期)."""
    locale = shell_locale(lang)
    school_id = valid_id("--school", school)
    data = _bytes(file, locale)
    with _imports(locale) as imports:
        report = imports.teachers(data, file.name, school_id, dry_run=dry_run)
    _show(report, locale, as_json)
