"""``caretrail teachers handover``: a teacher leaves; what they hold goes to successors
(a command of the roster's ``teachers`` group)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from adapters.bootstrap import Caretrail
from adapters.driving.cli.common import AsOpt, JsonOpt, RoleOpt, actor, emit
from adapters.driving.cli.operations import catch_up, child_line, guarded
from domain.values import Role
from projections.holdings import cases_held_by
from workflows.hand_over import HandOverReport, Successors, hand_over, holdings_of


def handover(
    teacher: Annotated[str, typer.Argument(help="The leaving teacher's user id.")],
    to_mentor: Annotated[str | None, typer.Option(help="Who mentors their mentees.")] = None,
    to_head_teacher: Annotated[str | None, typer.Option(help="Who becomes head teacher.")] = None,
    to_counsellor: Annotated[str | None, typer.Option(help="Who takes their counselling.")] = None,
    school: Annotated[list[str] | None, typer.Option(help="Only these schools (repeat).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, write nothing.")] = False,
    user: AsOpt = "operator", role: RoleOpt = Role.SUPERVISOR, as_json: JsonOpt = False,
) -> None:
    """Hand everything a leaving teacher holds to successors: each case in one save."""
    successors = Successors(mentor=to_mentor, head_teacher=to_head_teacher,
                            counselling_teacher=to_counsellor)
    acting = actor(user, role)
    with guarded() as caretrail:
        caretrail.runner.catch_up()
        held = cases_held_by(caretrail.read, teacher, school or None)
        holdings = holdings_of(caretrail.cases, teacher, [UUID(c) for c in held])
        report = hand_over(caretrail.cases, teacher, holdings, successors, acting, dry_run=dry_run)
        if not dry_run:
            catch_up(caretrail)
        emit(report, as_json, _text(caretrail, report))


def _text(caretrail: Caretrail, report: HandOverReport) -> str:
    head = f"hand-over of {report.teacher_id}{' (dry run)' if report.dry_run else ''}: "
    if not report.holdings:
        return head + "holds nothing on any open case"
    lines = [head + f"{len(report.holdings)} case(s)"]
    for h in report.holdings:
        roles = ", ".join(r.value.replace("_", " ") for r in h.roles) or "no role"
        lines.append(f"  {child_line(caretrail, h.case_id, h.class_name)}: {roles}; "
                     f"{h.open_tasks} open task(s)")
    if report.dry_run:
        lines.append("dry run: nothing written; run again without --dry-run to hand over")
        return "\n".join(lines)
    lines.append(f"moved {len(report.moved)}, already handed over {len(report.unchanged)}, "
                 f"refused {len(report.refused)}")
    lines += [f"  refused: {child_line(caretrail, r.holding.case_id, r.holding.class_name)}: {r.reason}"
              for r in report.refused]
    return "\n".join(lines)
