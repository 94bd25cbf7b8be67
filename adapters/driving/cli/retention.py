"""``caretrail retention plan|run``: the retention rule's next erasures, and applying it now.

The scheduler's sweep applies the rule by itself (``adapters.driving.scheduler.retention``);
``plan`` shows what its next run would erase, ``run`` applies it at once (an operator after
changing ``CARETRAIL_RETENTION_YEARS``). Both print ids, schools and days, never a name.
"""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.bootstrap import build_accounts, build_outbox
from adapters.driving.cli.common import CliError, JsonOpt, emit, open_caretrail
from adapters.driving.scheduler.retention import RetentionSweep, closed_before, retention_plan

retention_cli = typer.Typer(
    help="Retention: the personal data of cases closed long ago, erased (docs/privacy.md).",
    no_args_is_help=True,
)
LimitOpt = Annotated[int, typer.Option("--limit", min=1, max=100_000, help="At most this many cases.")]


@retention_cli.command("plan")
def plan(limit: LimitOpt = 500, as_json: JsonOpt = False) -> None:
    """The cases the next run would erase: closed CARETRAIL_RETENTION_YEARS ago or more."""
    with open_caretrail() as caretrail:
        years = caretrail.settings.retention_years
        due = retention_plan(caretrail, years, limit=limit)
        if years == 0:
            text = "retention is off (CARETRAIL_RETENTION_YEARS=0): nothing is erased by age"
        else:
            cutoff = closed_before(caretrail.clock(), years)
            lines = [f"{len(due)} case(s) closed before {cutoff.date().isoformat()} "
                     f"({years} years) would be erased:"]
            lines += [f"  {i.case_id}  {i.school_id}  closed {i.closed_at.date().isoformat()}" for i in due]
            text = "\n".join(lines) if due else f"nothing to erase: no case closed before {cutoff.date()}"
        emit({"retention_years": years, "cases": [i.model_dump(mode="json") for i in due]}, as_json, text)


@retention_cli.command("run")
def run(limit: LimitOpt = 500, as_json: JsonOpt = False) -> None:
    """Apply the rule now: each case due gets an Erased event (reason retention)."""
    with open_caretrail() as caretrail:
        settings = caretrail.settings
        if settings.retention_years == 0:
            raise CliError("retention is off (CARETRAIL_RETENTION_YEARS=0): nothing to run")
        outbox = build_outbox(caretrail)
        try:
            outbox.setup()
            sweep = RetentionSweep(
                caretrail, years=settings.retention_years, outbox=outbox, batch=limit,
                open_accounts=lambda: build_accounts(settings, caretrail.clock),
            )
            report = sweep.run()
        finally:
            outbox.close()
        caretrail.runner.catch_up()
        emit(report, as_json, f"retention: {report.erased} erased, {report.already} already erased, "
             f"{report.failed} failed, of {report.due} due (closed before "
             f"{report.closed_before.date().isoformat()})")
        if report.failed:
            raise typer.Exit(1)
