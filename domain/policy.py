"""The workflow policy a case consults, and the follow-up decisions it returns.

The domain defines the port; ``workflows`` implements it from a definition file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from pydantic import AwareDatetime, BaseModel

from domain.base import Frozen
from domain.values import Action, AssigneeRole, FollowUp, RiskLevel, WorkflowRef


class CaseFacts(Protocol):
    """What a policy may read of a case to decide its follow-ups."""

    @property
    def state(self) -> str: ...
    @property
    def risk_level(self) -> RiskLevel: ...
    @property
    def head_teacher_id(self) -> str: ...
    @property
    def mentor_id(self) -> str | None: ...
    @property
    def counselling_teacher_id(self) -> str | None: ...
    @property
    def follow_ups(self) -> Mapping[UUID, FollowUp]: ...
    @property
    def open_tasks(self) -> Mapping[UUID, FollowUp]: ...


class Schedule(Frozen):
    """Open a new follow-up task for a rule."""

    rule_id: str
    kind: str
    due_at: AwareDatetime
    assignee_role: AssigneeRole
    assignee_id: str | None


class Complete(Frozen):
    """Mark an open task done because an event fulfilled it."""

    follow_up_id: UUID
    completed_by: str


class Cancel(Frozen):
    """Close an open task that no longer applies."""

    follow_up_id: UUID
    reason: str


class Reassign(Frozen):
    """Give an open task to the person who now holds its assignee role."""

    follow_up_id: UUID
    assignee_id: str | None


FollowUpDecision = Schedule | Complete | Cancel | Reassign


class EscalationStep(Frozen):
    """One rung of the escalation ladder."""

    level: int
    after_days: int
    to: AssigneeRole


class WorkflowPolicy(Protocol):
    """A workflow definition, as the case aggregate needs it."""

    @property
    def ref(self) -> WorkflowRef: ...

    @property
    def initial_state(self) -> str: ...

    def allowed_actions(self, state: str) -> tuple[Action, ...]:
        """Actions allowed in ``state``, in definition order."""
        ...

    def next_state(self, state: str, action: Action) -> str:
        """State after ``action`` from ``state`` (only asked for allowed actions)."""
        ...

    def decide_follow_ups(
        self,
        case: CaseFacts,
        entered: str | None,
        events: Sequence[BaseModel],
        at: datetime,
    ) -> Sequence[FollowUpDecision]:
        """Decide follow-ups after one command.

        Args:
            case: the case after the command's own events were applied.
            entered: the state the command entered, or None if the state did not change.
            events: the command's own events, in order.
            at: when the act happened (due dates count from here).
        """
        ...

    def escalation_ladder(self) -> Sequence[EscalationStep]:
        """The escalation steps, lowest level first."""
        ...

    def can_take_over(self, state: str, rule_ids: Sequence[str]) -> bool:
        """Whether a case of another version of this workflow, in ``state`` with open tasks
        of ``rule_ids``, can follow this version from now on."""
        ...
