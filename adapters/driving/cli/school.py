"""``caretrail school rollover`` and ``caretrail case close-many``: a school's year in bulk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from adapters.bootstrap import Caretrail
from adapters.driving.cli.common import AsOpt, CliError, JsonOpt, RoleOpt, actor, case_uuid, emit
from adapters.driving.cli.operations import catch_up, child_line, guarded
from domain.values import ClosureReason, Role
from projections.holdings import open_cases_of
from workflows.bulk_close import CloseManyReport, close_many
from workflows.rollover import RolloverReport, parse_mapping, plan_rollover, roll_over

school_cli = typer.Typer(help="A school's year: the roll-over to a new school year.", no_args_is_help=True)


@school_cli.command("rollover")
def rollover(
    school: Annotated[str, typer.Option(help="School id.")],
    map_file: Annotated[Path, typer.Option("--map", help="The classes' mapping: FROM -> TO a line.")],
    graduating: Annotated[list[str] | None, typer.Option(help="A graduating class (repeat).")] = None,
    year: Annotated[int | None, typer.Option(min=2000, max=2100, help=(
        "The year the new school year starts in (default: this year; in January and February, last year)."
    ))] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, write nothing.")] = False,
    user: AsOpt = "operator", role: RoleOpt = Role.SUPERVISOR, as_json: JsonOpt = False,
) -> None:
    """Move a school's classes up a year: graduates' cases closed, every other child's class
    amended and a start-of-year re-check scheduled."""
    try:
        text = map_file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise CliError(f"--map: cannot read {map_file}: {getattr(e, 'strerror', None) or e}") from None
    mapping, listed = parse_mapping(text)
    acting = actor(user, role)
    with guarded() as caretrail:
        caretrail.runner.catch_up()
        now = caretrail.clock()
        school_year = year or (now.year if now.month >= 3 else now.year - 1)
        candidates = [UUID(c) for c in open_cases_of(caretrail.read, school)]
        plan = plan_rollover(caretrail.cases, school, school_year, candidates, mapping,
                             [*listed, *(graduating or [])])
        report = roll_over(caretrail.cases, plan, acting, dry_run=dry_run)
        if not dry_run:
            catch_up(caretrail)
        emit(report, as_json, _rollover_text(caretrail, report))


def _rollover_text(caretrail: Caretrail, report: RolloverReport) -> str:
    lines = [f"school {report.school_id}, school year {report.school_year}"
             f"{' (dry run)' if report.dry_run else ''}: {len(report.moves)} to move up, "
             f"{len(report.graduates)} graduating, {report.already} already in the year"]
    by_class: dict[tuple[str, str | None], int] = {}
    for move in (*report.moves, *report.graduates):
        by_class[move.from_class, move.to_class] = by_class.get((move.from_class, move.to_class), 0) + 1
    lines += [f"  {source} -> {target or 'graduated'}: {n} child(ren)"
              for (source, target), n in sorted(by_class.items(), key=lambda kv: kv[0][0])]
    if report.without_class:
        lines.append(f"  {len(report.without_class)} case(s) have no class and stay as they are")
    if report.dry_run:
        lines.append("dry run: nothing written; run again without --dry-run to roll over")
        return "\n".join(lines)
    lines.append(f"moved up {report.moved}, graduated {report.graduated}, refused {len(report.refused)}")
    lines += [f"  refused: {child_line(caretrail, r.case_id, None)}: {r.reason}" for r in report.refused]
    return "\n".join(lines)


def close_many_cases(
    reason: Annotated[ClosureReason, typer.Option(
        help="left_school (转学/离校), parents_returned (父母返乡), graduated or other.")],
    case_ids: Annotated[list[str] | None, typer.Argument(help="Case ids (UUIDs).")] = None,
    file: Annotated[Path | None, typer.Option(help="A file of case ids, one a line.")] = None,
    note: Annotated[str | None, typer.Option()] = None,
    user: AsOpt = "operator", role: RoleOpt = Role.SUPERVISOR, as_json: JsonOpt = False,
) -> None:
    """Close many cases with one reason, each on its own: closed, skipped and refused listed."""
    given = list(case_ids or [])
    if file is not None:
        try:
            given += [line.strip() for line in file.read_text(encoding="utf-8-sig").splitlines()
                      if line.strip() and not line.lstrip().startswith("#")]
        except (OSError, UnicodeDecodeError) as e:
            raise CliError(f"--file: cannot read {file}: {getattr(e, 'strerror', None) or e}") from None
    if not given:
        raise CliError("give the case ids, or --file with one a line")
    ids = [case_uuid(text) for text in given]
    with guarded() as caretrail:
        report = close_many(caretrail.cases, ids, reason, actor(user, role), note=note)
        catch_up(caretrail)
        emit(report, as_json, _close_text(report))


def _close_text(report: CloseManyReport) -> str:
    lines = [f"closed {len(report.closed)} ({report.reason.value}), skipped {len(report.skipped)} "
             f"(already closed), refused {len(report.refused)}"]
    lines += [f"  refused: case {r.case_id}: {r.reason}" for r in report.refused]
    return "\n".join(lines)
