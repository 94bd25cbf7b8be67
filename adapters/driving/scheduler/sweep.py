"""One escalation sweep: read the follow-up view, ask each case to escalate itself.

The sweep holds no truth. It catches the view up, pages through open tasks that may
have reached a rung of their case's ladder (the ladder of the workflow version the
case pinned), and hands the case an idempotent ``EscalateFollowUp`` command once per rung
reached, lowest first. The case re-checks everything; a task completed since the
view was read is simply not escalated. A crash anywhere is harmless: the next sweep
reads the view again, and a command already recorded is recognised by its id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from time import perf_counter
from typing import Protocol
from uuid import UUID

import structlog
from pydantic import BaseModel

from domain.policy import EscalationStep
from projections.queries import ReadModels, TaskRow
from projections.runner import ViewRunner
from workflows.commands import EscalateFollowUp
from workflows.registry import Registry
from workflows.services import SYSTEM_ACTOR, CaseService

log = structlog.get_logger()
ONE_DAY = timedelta(days=1)


class Sources(Protocol):
    """What a sweep reads and drives: the views (caught up first), the cases, the clock."""

    cases: CaseService
    read: ReadModels
    runner: ViewRunner
    registry: Registry
    clock: Callable[[], datetime]


class SweepAborted(Exception):
    """Raised when a sweep stops after many consecutive failures (the store is likely down)."""


class SweepReport(BaseModel):
    """What one sweep found and did."""

    started_at: datetime
    candidates: int = 0
    escalated: int = 0
    already: int = 0
    refused: int = 0
    lagging: int = 0
    failed: int = 0
    stopped: bool = False
    seconds: float = 0.0


class Sweeper:
    """Escalates every task past a rung of its case's ladder, exactly once per rung."""

    def __init__(
        self, caretrail: Sources, *, page_size: int = 100, max_consecutive_failures: int = 20
    ) -> None:
        self.caretrail = caretrail
        self.page_size = page_size
        self.max_consecutive_failures = max_consecutive_failures
        self._ladders = {str(w.ref): tuple(w.escalation_ladder()) for w in caretrail.registry}
        self._rungs = sorted({(s.level, s.after_days) for ladder in self._ladders.values() for s in ladder})

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> SweepReport:
        """Sweep once; ``should_stop`` is asked between tasks (shutdown, lost lock)."""
        begun = perf_counter()
        self.caretrail.runner.catch_up()
        now = self.caretrail.clock()
        report = SweepReport(started_at=now)
        workflows: dict[str, str | None] = {}
        cursor: str | None = None
        failures = 0
        while self._rungs:
            page = self.caretrail.read.escalation_candidates(
                now=now, thresholds=self._rungs, after=cursor, limit=self.page_size
            )
            for row in page.items:
                if should_stop():
                    report.stopped = True
                    break
                report.candidates += 1
                ok = self._escalate(row, now, workflows, report)
                failures = 0 if ok else failures + 1
                if failures >= self.max_consecutive_failures:
                    raise SweepAborted(f"{failures} escalations failed in a row; last case {row.case_id}")
            if report.stopped or page.next_cursor is None:
                break
            cursor = page.next_cursor
        report.seconds = round(perf_counter() - begun, 3)
        # Quiet when there was nothing to do: a sweep a minute would fill the log.
        emit = log.info if report.candidates or report.failed else log.debug
        emit("escalation_sweep", **report.model_dump(mode="json", exclude={"started_at"}))
        return report

    def ladder(self, workflow: str | None) -> Sequence[EscalationStep]:
        """The ladder of a workflow version, by the name the views store ("left_behind v1")."""
        return self._ladders.get(workflow or "", ())

    def _escalate(
        self, row: TaskRow, now: datetime, workflows: dict[str, str | None], report: SweepReport
    ) -> bool:
        """Ask the case to climb every rung this task reached; False if a command failed."""
        if row.case_id not in workflows:
            case = self.caretrail.read.case(row.case_id)
            workflows[row.case_id] = case.workflow if case else None
        workflow = workflows[row.case_id]
        if workflow is None or workflow not in self._ladders:
            report.lagging += 1  # the case view lags, or this process lacks the workflow version
            if workflow is not None:
                log.error("escalation_unknown_workflow", case_id=row.case_id, workflow=workflow)
            return True
        overdue = (now - row.due_at) // ONE_DAY
        for step in self.ladder(workflow):
            if step.level <= row.escalation_level or overdue < step.after_days:
                continue
            try:
                escalation = EscalateFollowUp.of(UUID(row.case_id), UUID(row.follow_up_id), step.level)
                result = self.caretrail.cases.handle(escalation, SYSTEM_ACTOR)
            except Exception as e:  # one broken case must not stop the others
                report.failed += 1
                log.error(
                    "escalation_failed", case_id=row.case_id, follow_up_id=row.follow_up_id,
                    escalation_level=step.level, error=f"{type(e).__name__}: {e}",
                )
                return False
            if "FollowUpEscalated" in result.events:
                report.escalated += 1
            elif result.replayed:
                report.already += 1
            else:
                report.refused += 1  # done, cancelled or not overdue enough by the case's own clock
                return True
        return True
