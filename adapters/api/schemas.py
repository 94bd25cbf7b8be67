"""Request and response bodies. Requests reject unknown fields; times need a UTC offset."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    model_validator,
)

from adapters.text import check_text
from domain.case import Case
from domain.values import (
    Child,
    ClosureReason,
    ContactChannel,
    ContactParty,
    FollowUp,
    Guardian,
    Ident,
    Parents,
    ReviewOutcome,
    RiskLevel,
    ShortText,
    Text,
    WorkflowRef,
)
from projections.queries import OverdueCount
from workflows.services import CommandResult


def _iso_text(value: Any) -> Any:
    """Times are ISO 8601 text: a number (seconds since 1970?) is refused, not guessed at."""
    if isinstance(value, int | float):
        raise ValueError("a time is ISO 8601 text with a UTC offset, not a number")
    return value


#: When something happened, as a request states it.
StatedTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


class Body(BaseModel):
    """Base of request bodies: unknown fields are an error, not silently dropped, and text
    is text (checked here, at the edge: stored events are not re-validated this strictly,
    so old events stay readable)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _readable_text(cls, data: Any) -> Any:
        check_text(data, "")
        return data


class Step(Body):
    """Base of a step on a case: when it happened (default: now)."""

    occurred_at: StatedTime | None = Field(
        default=None, description="When it happened, with a UTC offset. Default: now."
    )


# --------------------------------------------------------------------------- requests
class IdentifyChild(Step):
    """Open a case for a newly identified left-behind child."""

    school_id: Ident
    student_no: Ident
    child: Child
    guardian: Guardian
    parents: Parents
    head_teacher_id: Ident
    risk_level: RiskLevel = RiskLevel.NORMAL
    workflow: Ident | None = Field(default=None, description="Default: the deployment's workflow.")


class HomeVisit(Step):
    """A home visit (家访)."""

    guardian_met: StrictBool = Field(description="true or false (not \"yes\", not 1).")
    observations: Text | None = None


class MentorPairing(Step):
    """Pair the child with a mentor teacher, or hand over to another."""

    teacher_id: Ident


class CounsellingSession(Step):
    """A counselling session held by the calling teacher."""

    summary: Text | None = None
    risk_level: RiskLevel | None = None


class Review(Step):
    """A review of the case."""

    outcome: ReviewOutcome
    summary: Text | None = None


class Contact(Step):
    """Contact with the guardian, a parent, or the child (a mentor's talk)."""

    party: ContactParty
    channel: ContactChannel = ContactChannel.PHONE
    summary: Text | None = None


class Note(Step):
    """A note in the growth diary (成长日记)."""

    text: Text


class Closure(Step):
    """Close the case."""

    reason: ClosureReason
    note: Text | None = None


class Reopening(Step):
    """Reopen a closed case."""

    reason: ShortText


class HeadTeacher(Step):
    """Hand the child to another head teacher (their open tasks follow)."""

    teacher_id: Ident


class RiskChange(Step):
    """Reassess the child's risk."""

    level: RiskLevel
    reason: ShortText | None = None


class FollowUpCompletion(Step):
    """Mark an open follow-up done by hand."""

    note: Text | None = None


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
            open_follow_ups=case.open_follow_ups,
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
