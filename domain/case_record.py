"""What a case holds, and the bookkeeping its events and commands share.

``CaseRecord`` is the base of the ``Case`` aggregate (``domain.case``): the attributes its
events set (``domain.case_events``), the index of open tasks, and the checks every
command makes before it records anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime

from domain.base import Aggregate, SnapshotState
from domain.errors import (
    AlreadyApplied,
    CaseErased,
    IllegalStep,
    InvalidCommand,
    OccurredBeforeCase,
    OccurredInFuture,
)
from domain.personal import PERSONAL
from domain.policy import WorkflowPolicy
from domain.values import (
    EARLIEST_OCCURRED_AT,
    FUTURE_TOLERANCE,
    Action,
    Child,
    CommandContext,
    Consent,
    ConsentWithdrawal,
    FollowUp,
    FollowUpStatus,
    Guardian,
    Parents,
    RiskLevel,
    WorkflowRef,
)

ONE_DAY = timedelta(days=1)


class CaseState(SnapshotState):
    """Everything a case knows, as kept in a snapshot."""

    school_id: str
    student_no: Annotated[str, PERSONAL]
    child: Child
    guardian: Guardian
    parents: Parents
    head_teacher_id: str
    counselling_teacher_id: str | None
    mentor_id: str | None
    risk_level: RiskLevel
    state: str
    workflow: WorkflowRef
    opened_at: AwareDatetime
    closed_at: AwareDatetime | None
    follow_ups: dict[UUID, FollowUp]
    rule_counts: dict[str, int]
    commands: dict[UUID, int]
    school_year: int | None = None
    rolled_from: str | None = None
    #: Personal (see ``Consent``); snapshots taken before consent was recorded have none.
    consent: Consent | None = None
    consent_withdrawal: ConsentWithdrawal | None = None
    generation: int = 0
    erased: bool = False


class CaseRecord(Aggregate):
    """The state of a case and what its commands share (see :class:`domain.case.Case`)."""

    if TYPE_CHECKING:  # Declared for type checkers only: annotations would make a dataclass.
        school_id: str
        student_no: str
        child: Child
        guardian: Guardian
        parents: Parents
        head_teacher_id: str
        counselling_teacher_id: str | None
        mentor_id: str | None
        risk_level: RiskLevel
        state: str
        workflow: WorkflowRef
        opened_at: datetime
        closed_at: datetime | None
        follow_ups: dict[UUID, FollowUp]
        rule_counts: dict[str, int]
        commands: dict[UUID, int]
        school_year: int | None  # the school year the case last rolled over into
        rolled_from: str | None  # the class it was in before that roll-over
        consent: Consent | None
        consent_withdrawal: ConsentWithdrawal | None
        generation: int
        erased: bool

    # ------------------------------------------------------------- queries
    @property
    def open_follow_ups(self) -> list[FollowUp]:
        """Open tasks, soonest due first."""
        return sorted(self.open_tasks.values(), key=_due)

    @property
    def open_tasks(self) -> dict[UUID, FollowUp]:
        """Open tasks by id: an index over ``follow_ups``, which keeps every task ever opened.

        Derived, not stored: built on first use (after a replay or a snapshot) and kept
        current by the events from then on.
        """
        index: dict[UUID, FollowUp] | None = self.__dict__.get("_open")
        if index is None:
            index = {k: t for k, t in self.follow_ups.items() if t.is_open}
            self.__dict__["_open"] = index
        return index

    # ------------------------------------------------------------- shared by commands
    def _begin(
        self, policy: WorkflowPolicy, ctx: CommandContext, action: Action,
        *, allowed_by: WorkflowPolicy | None = None,
    ) -> tuple[int, str]:
        """Check a command may run; return where its events start and the state before it.
        ``allowed_by``: the version that says whether the action is allowed, when the
        command moves the case to it (else the case's own, ``policy``)."""
        self._check_command_new(ctx)
        if self.erased:
            raise CaseErased(self.id)
        if policy.ref != self.workflow:
            raise InvalidCommand(
                f"case {self.id} follows {self.workflow}, not {policy.ref}"
            )
        check_occurred_at(ctx)
        if ctx.occurred_at < self.opened_at:
            raise OccurredBeforeCase(self.id, ctx.occurred_at, self.opened_at)
        self._check_allowed(allowed_by or policy, self.state, action)
        return len(self.pending_events), self.state

    def _check_command_new(self, ctx: CommandContext) -> None:
        version = self.commands.get(ctx.command_id)
        if version is not None:
            raise AlreadyApplied(ctx.command_id, version)

    def _check_allowed(self, policy: WorkflowPolicy, state: str, action: Action) -> None:
        allowed = policy.allowed_actions(state)
        if action not in allowed:
            raise IllegalStep(self.id, state, action.value, [a.value for a in allowed])

    def _trigger(self, ctx: CommandContext, event_class: type[Aggregate.Event], **kwargs: Any) -> None:
        self.trigger_event(
            event_class,
            timestamp=ctx.recorded_at,
            actor=ctx.actor,
            occurred_at=ctx.occurred_at,
            command_id=ctx.command_id,
            workflow=self.workflow,
            **kwargs,
        )

    def _close_follow_up(self, follow_up_id: UUID, status: FollowUpStatus, at: Any) -> None:
        task = self.follow_ups[follow_up_id]
        self._put_task(task.model_copy(update={"status": status, "closed_at": at}))

    def __eq__(self, other: object) -> bool:
        # The open-task index is derived: two cases are equal whether or not it was built.
        if type(other) is not type(self):
            return False
        mine = {k: v for k, v in vars(self).items() if k != "_open"}
        theirs = {k: v for k, v in vars(other).items() if k != "_open"}
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]  # mutable: equality, no hashing

    def _put_task(self, task: FollowUp) -> None:
        """Record a task's new state, keeping the index of open tasks current if built."""
        self.follow_ups[task.follow_up_id] = task
        index: dict[UUID, FollowUp] | None = self.__dict__.get("_open")
        if index is not None:
            if task.is_open:
                index[task.follow_up_id] = task
            else:
                index.pop(task.follow_up_id, None)


def check_occurred_at(ctx: CommandContext) -> None:
    """A stated ``occurred_at`` lies between :data:`EARLIEST_OCCURRED_AT` and now (with the
    tolerated clock skew)."""
    if ctx.occurred_at > ctx.recorded_at + FUTURE_TOLERANCE:
        raise OccurredInFuture(ctx.occurred_at, ctx.recorded_at)
    if ctx.occurred_at < EARLIEST_OCCURRED_AT:
        raise InvalidCommand(
            f"occurred_at {ctx.occurred_at.isoformat()} is before "
            f"{EARLIEST_OCCURRED_AT.date().isoformat()}: not a date a case can record"
        )


def _due(task: FollowUp) -> Any:
    return task.due_at
