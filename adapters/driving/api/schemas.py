"""Request and response bodies. Request bodies are the commands' own fields; they reject
unknown fields, and times need a UTC offset."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
from pydantic.fields import FieldInfo

from domain.case import Case
from domain.values import (
    Child,
    Consent,
    ConsentWithdrawal,
    FollowUp,
    Guardian,
    Parents,
    RiskLevel,
    WorkflowRef,
)
from projections.queries import OverdueCount
from workflows.commands import Command
from workflows.services import CommandResult
from workflows.text import check_text

#: A command's fields that the request gives elsewhere: the case in the path, the command
#: id from ``Idempotency-Key``, the expected version from ``If-Match``.
ENVELOPE = frozenset({"case_id", "command_id", "expected_version"})


class Body(BaseModel):
    """Base of request bodies: unknown fields are an error, not silently dropped, and text
    is text (checked here, at the edge, as commands do: stored events are not re-validated
    this strictly, so old events stay readable)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _readable_text(cls, data: Any) -> Any:
        check_text(data, "")
        return data


def request_fields(command: type[Command], *, besides: Iterable[str] = ()) -> dict[str, FieldInfo]:
    """The fields of ``command`` a request states, in order: all but the envelope and
    ``besides`` (those the path gives)."""
    left_out = ENVELOPE | set(besides)
    return {name: f for name, f in command.model_fields.items() if name not in left_out}


def request_body(command: type[Command], name: str, *, besides: Iterable[str] = ()) -> type[Body]:
    """The request body of a command: its own fields, with their types and descriptions,
    so the API documents exactly what the command accepts."""
    fields: dict[str, Any] = {
        field_name: (f.annotation, f) for field_name, f in request_fields(command, besides=besides).items()
    }
    return create_model(name, __base__=Body, __doc__=command.__doc__, __module__=__name__, **fields)


# --------------------------------------------------------------------------- responses
class CommandOut(BaseModel):
    """What a command reached. Wait for ``position`` (``?min_position=``) to read your write."""

    model_config = ConfigDict(extra="forbid")

    case_id: UUID
    state: str
    version: int
    position: int
    replayed: bool = Field(description="True if this command was already recorded: nothing new.")
    events: list[str]
    scheduled: list[FollowUp]

    @classmethod
    def of(cls, result: CommandResult) -> CommandOut:
        """From the use case's result."""
        return cls(
            case_id=result.case_id, state=result.state, version=result.version,
            position=result.position, replayed=result.replayed, events=list(result.events),
            scheduled=list(result.scheduled),
        )


class CaseDetail(BaseModel):
    """A case with its personal data (reading it is written to the access log)."""

    model_config = ConfigDict(extra="forbid")

    case_id: UUID
    version: int
    workflow: WorkflowRef
    school_id: str
    student_no: str
    child: Child
    guardian: Guardian
    parents: Parents
    state: str
    risk_level: RiskLevel
    head_teacher_id: str
    mentor_id: str | None
    counselling_teacher_id: str | None
    opened_at: datetime
    closed_at: datetime | None
    recorded_at: datetime = Field(description="When the shown version was recorded.")
    open_follow_ups: list[FollowUp]
    consent: Consent | None = Field(default=None, description="The guardian's consent, if recorded.")
    consent_withdrawal: ConsentWithdrawal | None = None

    @classmethod
    def of(cls, case: Case) -> CaseDetail:
        """From the aggregate."""
        return cls(
            case_id=case.id, version=case.version, workflow=case.workflow,
            school_id=case.school_id, student_no=case.student_no, child=case.child,
            guardian=case.guardian, parents=case.parents, state=case.state,
            risk_level=case.risk_level, head_teacher_id=case.head_teacher_id,
            mentor_id=case.mentor_id, counselling_teacher_id=case.counselling_teacher_id,
            opened_at=case.opened_at, closed_at=case.closed_at, recorded_at=case.modified_on,
            open_follow_ups=case.open_follow_ups, consent=case.consent,
            consent_withdrawal=case.consent_withdrawal,
        )


#: Fields every event has; the rest of an event is its ``data``.
_ENVELOPE = {"originator_id", "originator_version", "timestamp", "actor", "occurred_at",
             "command_id", "workflow", "originator_topic"}


class EventOut(BaseModel):
    """One event of a case's history, as the event store holds it."""

    model_config = ConfigDict(extra="forbid")

    version: int
    type: str
    actor_id: str
    role: str
    occurred_at: datetime
    recorded_at: datetime
    command_id: UUID
    workflow: str
    data: dict[str, Any]

    @classmethod
    def of(cls, event: Any) -> EventOut:
        """From a stored case event."""
        return cls(
            version=event.originator_version, type=type(event).__name__,
            actor_id=event.actor.user_id, role=event.actor.role.value,
            occurred_at=event.occurred_at, recorded_at=event.timestamp,
            command_id=event.command_id, workflow=str(event.workflow),
            data=event.model_dump(mode="json", exclude=_ENVELOPE),
        )


class HistoryPage(BaseModel):
    """Events of a case in order, and the cursor of the next page."""

    model_config = ConfigDict(extra="forbid")

    case_id: UUID
    items: list[EventOut]
    next_cursor: str | None = None


class Me(BaseModel):
    """The caller."""

    model_config = ConfigDict(extra="forbid")

    user_id: str
    role: str
    schools: list[str]
    permissions: list[str]
    token_expires_at: datetime


class OverdueSummary(BaseModel):
    """Overdue tasks per assignee and kind at some schools."""

    model_config = ConfigDict(extra="forbid")

    school_ids: list[str]
    as_of: datetime
    items: list[OverdueCount]


class AccessEntryOut(BaseModel):
    """One read of a case's personal data."""

    model_config = ConfigDict(extra="forbid")

    entry_id: int
    at: datetime
    user_id: str
    role: str
    case_id: str
    school_id: str | None
    resource: str
    purpose: str
    request_id: str | None


class AccessLogPage(BaseModel):
    """Access-log entries in order of recording."""

    model_config = ConfigDict(extra="forbid")

    items: list[AccessEntryOut]
    next_cursor: str | None = None


class ViewOut(BaseModel):
    """Where one read model stands."""

    name: str
    position: int
    lag: int


class Readiness(BaseModel):
    """Whether this process can serve: the store answers and the views are close to its head."""

    model_config = ConfigDict(extra="forbid")

    ready: bool
    head: int
    max_lag: int
    views: list[ViewOut]


class Health(BaseModel):
    """Liveness."""

    status: str
