"""``caretrail tasks`` and ``caretrail projections ...``: the read side from the shell."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from adapters.driving.cli.common import CliError, JsonOpt, emit, local, open_caretrail
from adapters.driving.rebuild import RebuildFailed, rebuild_views
from projections.queries import TaskStatus

projections_cli = typer.Typer(help="The read models: status and rebuild.", no_args_is_help=True)


def tasks(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue tasks.")] = False,
    due_within: Annotated[int | None, typer.Option(min=0, max=366, help="Due within DAYS.")] = None,
    assignee: Annotated[str | None, typer.Option(help="Assignee user id.")] = None,
    school: Annotated[str | None, typer.Option(help="School id.")] = None,
    kind: Annotated[str | None, typer.Option(help="Task kind, e.g. home_visit.")] = None,
    min_days_overdue: Annotated[int, typer.Option(min=0, max=3650, help="With --overdue.")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 50,
    cursor: Annotated[str | None, typer.Option(help="Next page, from the previous output.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List follow-up tasks: open by default, overdue with --overdue."""
    if overdue and due_within is not None:
        raise CliError("give --overdue or --due-within, not both")
    if min_days_overdue and not overdue:
        raise CliError("--min-days-overdue needs --overdue")
    with open_caretrail() as caretrail:
        caretrail.runner.catch_up()
        now = caretrail.clock()
        status = TaskStatus.OVERDUE if overdue else TaskStatus.OPEN
        page = caretrail.read.tasks(
            now=now, status=status, school_ids=[school] if school else None,
            assignee_id=assignee, kind=kind, min_days_overdue=min_days_overdue,
            due_within_days=due_within, after=cursor, limit=limit,
        )
        lines = [
            f"{local(t.due_at, caretrail)}  {t.days_overdue:>4}d  {t.kind:<17} "
            f"{(t.assignee_id or t.assignee_role):<24} {t.school_id}  case {t.case_id}"
            for t in page.items
        ]
        header = f"{'due':<16}  {'late':>5}  {'kind':<17} {'assignee':<24} school"
        footer = f"next page: --cursor {page.next_cursor}" if page.next_cursor else ""
        emit(page, as_json, "\n".join([header, *lines, footer] if lines else ["no tasks"]))


@projections_cli.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Each view: position, lag (newest log id minus position), last update."""
    with open_caretrail() as caretrail:
        rows = caretrail.runner.status()
        emit(rows, as_json, "\n".join(
            f"{r.name:<12} position {r.position:>9}  lag {r.lag:>7}  updated {r.updated_at or '-'}"
            for r in rows
        ))


@projections_cli.command("rebuild")
def rebuild(
    name: Annotated[str | None, typer.Argument(help="One view (default: all).")] = None,
    jobs: Annotated[int | None, typer.Option(
        min=1, max=64, help="Processes sharing the views (default: one per core).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Drop a view (default: all) and replay the whole log into it, then build its indexes.

    Several views are shared between processes, each reading the log for its own."""
    if name is not None and not name.strip():
        raise CliError("an empty view name (an unset variable?): give a view's name, or none "
                       "to rebuild every view")
    with open_caretrail() as caretrail:
        try:
            names = [p.name for p in caretrail.runner.views([name] if name else None)]
        except LookupError:
            known = ", ".join(p.name for p in caretrail.runner.projections)
            raise CliError(f"no view named '{name}': choose one of {known}") from None
        total = caretrail.runner.head()
        with typer.progressbar(length=total, label="rebuilding", file=sys.stderr) as bar:
            try:
                read = rebuild_views(caretrail, names, jobs=jobs, progress=bar.update)
            except RebuildFailed as e:
                raise CliError(f"{e}. Those views are behind; run the rebuild again.") from None
        emit({"rebuilt": names, "events": read}, as_json,
             f"rebuilt {', '.join(names)} from {read} events")
