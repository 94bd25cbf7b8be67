"""The retention rule, applied by the scheduler's sweep: a case closed ``retention_years``
ago has its child's personal data erased.

Each erasure is the same command every interface gives (``EraseCase``, reason
``retention``, the system as actor), so it is an ``Erased`` event in the case's history:
nothing is erased without an event recording why. Its command id comes from the case, so
a sweep killed halfway and run again records nothing twice. After the command, what lies
beside the events is purged as :func:`adapters.driving.erasure.erase_case` does: the
outbox's unsent notices, the API's kept responses. ``caretrail retention plan`` prints
what the next run would erase (ids, schools, days: no names).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from time import perf_counter
from typing import Any
from uuid import UUID, uuid5

import structlog
from pydantic import BaseModel

from adapters.driven.notify.outbox import Outbox
from adapters.driving.scheduler.sweep import Sources
from domain.errors import CaseErased
from domain.values import ErasureReason
from projections.retention import RetentionItem
from workflows.commands import EraseCase
from workflows.services import SYSTEM_ACTOR

log = structlog.get_logger()
#: Namespace of the retention erasures' command ids (one per case, ever).
RETENTION_NAMESPACE = UUID("0b7d3c2e-5a41-4f7e-8d2c-6e1f9a3b7c55")


class RetentionReport(BaseModel):
    """What one application of the rule found and did."""

    closed_before: datetime
    due: int = 0
    erased: int = 0
    already: int = 0
    failed: int = 0
    stopped: bool = False
    seconds: float = 0.0


def closed_before(now: datetime, years: int) -> datetime:
    """The moment ``years`` calendar years before ``now`` (29 February: the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def retention_plan(sources: Sources, years: int, *, limit: int = 500) -> list[RetentionItem]:
    """The cases the next run would erase (none when ``years`` is 0: the rule is off)."""
    if years <= 0:
        return []
    sources.runner.catch_up()
    return sources.read.retention_due(closed_before=closed_before(sources.clock(), years), limit=limit)


class RetentionSweep:
    """Erases the personal data of the cases the rule has reached, one command each."""

    def __init__(
        self,
        sources: Sources,
        *,
        years: int,
        outbox: Outbox,
        open_accounts: Callable[[], Any] | None = None,
        batch: int = 200,
    ) -> None:
        self.sources = sources
        self.years = years
        self.outbox = outbox
        #: Opens the accounts (their kept API responses are purged too) for one run.
        self.open_accounts = open_accounts
        self.batch = batch

    @classmethod
    def of(
        cls, sources: Sources, years: int, outbox: Outbox, open_accounts: Callable[[], Any]
    ) -> RetentionSweep | None:
        """The sweep of the settings' rule, or None when it is off (``years`` 0)."""
        return cls(sources, years=years, outbox=outbox, open_accounts=open_accounts) if years else None

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> RetentionReport:
        """Erase every case due (at most ``batch`` a run; the next sweep goes on)."""
        begun = perf_counter()
        before = closed_before(self.sources.clock(), self.years)
        report = RetentionReport(closed_before=before)
        due = retention_plan(self.sources, self.years, limit=self.batch)
        report.due = len(due)
        accounts = self.open_accounts() if due and self.open_accounts else None
        try:
            for item in due:
                if should_stop():
                    report.stopped = True
                    break
                self._erase(item, accounts, report)
        finally:
            if accounts is not None:
                accounts.close()
        report.seconds = round(perf_counter() - begun, 3)
        emit = log.info if report.due or report.failed else log.debug
        emit("retention_sweep", **report.model_dump(mode="json"))
        return report

    def _erase(self, item: RetentionItem, accounts: Any, report: RetentionReport) -> None:
        command = EraseCase(
            case_id=UUID(item.case_id), reason=ErasureReason.RETENTION,
            command_id=uuid5(RETENTION_NAMESPACE, item.case_id),
        )
        try:
            result = self.sources.cases.handle(command, SYSTEM_ACTOR)
            # A purge that fails is done again when the next run meets the case: replayed.
            self.outbox.forget_case(item.case_id)
            if accounts is not None:
                accounts.store.forget_responses(item.case_id)
        except CaseErased:
            report.already += 1  # erased by a person since the views were read
            return
        except Exception as e:  # one broken case must not stop the others
            report.failed += 1
            log.error("retention_failed", case_id=item.case_id, error=f"{type(e).__name__}: {e}")
            return
        if result.replayed:
            report.already += 1
        else:
            report.erased += 1
