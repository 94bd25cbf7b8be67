"""The non-HTTP half of a process: views following the log, and the scheduler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.bootstrap import Caretrail
from adapters.cli.common import CliError
from adapters.scheduler.lock import LockError
from adapters.scheduler.notifier import SchedulerConfigError
from adapters.scheduler.service import SchedulerService


@dataclass
class Background:
    """Started in order, stopped in reverse: the projection runner, then the scheduler.

    The scheduler comes second so that its first sweep reads views already catching up.
    """

    caretrail: Caretrail
    scheduler: SchedulerService | None = None
    _started: list[Any] = field(default_factory=list)

    @classmethod
    def for_process(cls, caretrail: Caretrail, *, scheduler: bool = True) -> Background:
        """Background work of a serve or worker process; bad scheduler settings are a CliError."""
        if not scheduler:
            return cls(caretrail)
        try:
            return cls(caretrail, SchedulerService(caretrail))
        except (SchedulerConfigError, LockError) as e:
            raise CliError(str(e)) from None

    def start(self) -> None:
        """Start everything (idempotent)."""
        if self._started:
            return
        self.caretrail.start()
        self._started.append(self.caretrail)
        if self.scheduler is not None:
            self.scheduler.start()
            self._started.append(self.scheduler)

    def stop(self) -> None:
        """Stop in reverse order."""
        while self._started:
            self._started.pop().stop()
