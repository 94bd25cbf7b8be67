"""The events of a case's follow-up tasks: scheduled, completed, cancelled, reassigned,
escalated. Like every case event they are the ``Case`` aggregate's own and declare their
topic (``domain.case:Case.<Name>``); see :mod:`domain.case_events`."""

from __future__ import annotations

from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AwareDatetime

from domain.case_events import CaseEvent
from domain.case_record import CaseRecord
from domain.personal import PERSONAL
from domain.values import AssigneeRole, FollowUp, FollowUpStatus


class FollowUpScheduled(CaseEvent):
    """A follow-up task was opened with a due date."""

    TOPIC: ClassVar[str] = "domain.case:Case.FollowUpScheduled"

    follow_up_id: UUID
    rule_id: str
    sequence: int
    kind: str
    due_at: AwareDatetime
    assignee_role: AssigneeRole
    assignee_id: str | None

    def apply(self, case: CaseRecord) -> None:
        case.rule_counts[self.rule_id] = self.sequence
        case._put_task(FollowUp(
            follow_up_id=self.follow_up_id,
            rule_id=self.rule_id,
            sequence=self.sequence,
            kind=self.kind,
            due_at=self.due_at,
            assignee_role=self.assignee_role,
            assignee_id=self.assignee_id,
            scheduled_at=self.occurred_at,
        ))


class FollowUpCompleted(CaseEvent):
    """A follow-up task was done (by an event, or marked done by its assignee)."""

    TOPIC: ClassVar[str] = "domain.case:Case.FollowUpCompleted"

    follow_up_id: UUID
    completed_by: str
    note: Annotated[str | None, PERSONAL] = None

    def apply(self, case: CaseRecord) -> None:
        case._close_follow_up(self.follow_up_id, FollowUpStatus.DONE, self.occurred_at)


class FollowUpCancelled(CaseEvent):
    """A follow-up task no longer applies."""

    TOPIC: ClassVar[str] = "domain.case:Case.FollowUpCancelled"

    follow_up_id: UUID
    reason: str

    def apply(self, case: CaseRecord) -> None:
        case._close_follow_up(self.follow_up_id, FollowUpStatus.CANCELLED, self.occurred_at)


class FollowUpReassigned(CaseEvent):
    """An open task passed to whoever now holds its assignee role."""

    TOPIC: ClassVar[str] = "domain.case:Case.FollowUpReassigned"

    follow_up_id: UUID
    assignee_id: str | None

    def apply(self, case: CaseRecord) -> None:
        task = case.follow_ups[self.follow_up_id]
        case._put_task(task.model_copy(update={"assignee_id": self.assignee_id}))


class FollowUpEscalated(CaseEvent):
    """An overdue task was escalated up the ladder."""

    TOPIC: ClassVar[str] = "domain.case:Case.FollowUpEscalated"

    follow_up_id: UUID
    level: int
    to_role: AssigneeRole
    days_overdue: int

    def apply(self, case: CaseRecord) -> None:
        task = case.follow_ups[self.follow_up_id]
        case._put_task(task.model_copy(update={"escalation_level": self.level}))
