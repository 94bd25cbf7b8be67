"""What the scheduler tells people: escalation notices and per-school digests.

Ids and counts only: a case id, a task kind, a teacher's user id, days overdue. A
child's or guardian's name never enters these models, so no notifier can leak one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EscalationNotice(_Message):
    """One task escalated one rung up the ladder."""

    case_id: str
    follow_up_id: str
    school_id: str
    kind: str
    assignee_role: str
    assignee_id: str | None
    level: int
    to_role: str
    days_overdue: int
    due_at: datetime
    escalated_at: datetime


class EscalationBatch(_Message):
    """Escalation notices sent together (group robots allow ~20 messages a minute)."""

    type: Literal["escalations"] = "escalations"
    notices: tuple[EscalationNotice, ...]


class DigestLine(_Message):
    """Overdue tasks of one kind held by one assignee."""

    kind: str
    assignee_role: str
    assignee_id: str | None
    count: int
    oldest_due_at: datetime
    max_days_overdue: int


class AssigneeCount(_Message):
    """Overdue tasks held by one person (``assignee_id``), or unassigned tasks of a role."""

    assignee_role: str | None
    assignee_id: str | None
    count: int


class DigestItem(_Message):
    """One of a school's oldest overdue tasks."""

    case_id: str
    follow_up_id: str
    kind: str
    assignee_role: str
    assignee_id: str | None
    due_at: datetime
    days_overdue: int
    escalation_level: int


class SchoolDigest(_Message):
    """A school's overdue tasks for its supervisors: counts by kind and assignee, oldest items."""

    type: Literal["digest"] = "digest"
    school_id: str
    generated_at: datetime
    total_overdue: int
    by_kind: dict[str, int]
    by_assignee: tuple[AssigneeCount, ...]
    lines: tuple[DigestLine, ...]
    oldest: tuple[DigestItem, ...]


Message = Annotated[EscalationBatch | SchoolDigest, Field(discriminator="type")]

#: Parses a stored message of either type.
MESSAGE: TypeAdapter[EscalationBatch | SchoolDigest] = TypeAdapter(Message)
