"""Value objects of the domain: who acts, on whom, and how follow-ups look."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from domain.base import Frozen
from domain.errors import InvalidCommand
from domain.personal import ERASED, PERSONAL

_IDENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$"
_IDENT_RULE = "1-64 letters, digits, '.', '_', ':', '@', '-'"


def _readable_id_error(value: object) -> object:
    """Say what an id must look like (the constraints below only give their pattern)."""
    if isinstance(value, str) and not (
        0 < len(value.strip()) <= 64 and re.match(_IDENT_PATTERN, value.strip())
    ):
        raise ValueError(f"{value!r} is not a valid id ({_IDENT_RULE})")
    return value


#: Identifiers of people and places (user ids, school ids, student numbers).
Ident = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=_IDENT_PATTERN),
    BeforeValidator(_readable_id_error),
]
#: Free text written by teachers (names, observations, summaries).
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 -]{5,20}$")]

#: How far in the future a stated ``occurred_at`` may lie (clock skew between devices).
FUTURE_TOLERANCE = timedelta(minutes=5)
#: Nothing a case records happened before this: an earlier ``occurred_at`` is a typing
#: mistake (a year 1 or 1900 date), not history. Left-behind children's care work in
#: schools dates from 2016; records typed in from paper files go back a few years.
EARLIEST_OCCURRED_AT = datetime(2000, 1, 1, tzinfo=UTC)
#: No child followed by a school was born before this.
EARLIEST_BIRTH_DATE = date(1990, 1, 1)


class Role(StrEnum):
    """What a user may do; ``system`` is the scheduler acting on its own."""

    TEACHER = "teacher"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"
    SYSTEM = "system"


class AssigneeRole(StrEnum):
    """Who a follow-up task is for, relative to the case."""

    HEAD_TEACHER = "head_teacher"
    MENTOR = "mentor"
    COUNSELLING_TEACHER = "counselling_teacher"
    SUPERVISOR = "supervisor"
    DISTRICT = "district"


class RiskLevel(StrEnum):
    """The child's assessed risk; ``high`` shortens follow-up intervals."""

    NORMAL = "normal"
    HIGH = "high"


class ParentsAway(StrEnum):
    """Which parents work far away."""

    BOTH = "both"
    FATHER = "father"
    MOTHER = "mother"
    SINGLE_PARENT = "single_parent"


class ContactParty(StrEnum):
    """Whom a teacher was in contact with; ``child`` is a mentor's talk (谈心)."""

    GUARDIAN = "guardian"
    PARENT = "parent"
    CHILD = "child"


class ContactChannel(StrEnum):
    """How the contact happened."""

    PHONE = "phone"
    VIDEO = "video"
    MESSAGE = "message"
    IN_PERSON = "in_person"
    MEETING = "meeting"


class ReviewOutcome(StrEnum):
    """What a case review decided."""

    CONTINUE = "continue"
    CLOSE = "close"
    RAISE_RISK = "raise_risk"


class ClosureReason(StrEnum):
    """Why a case was closed."""

    PARENTS_RETURNED = "parents_returned"
    LEFT_SCHOOL = "left_school"
    GRADUATED = "graduated"
    REVIEWED = "reviewed"
    OTHER = "other"


class ErasureReason(StrEnum):
    """Why a case's personal data was erased."""

    GUARDIAN_REQUEST = "guardian_request"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    RETENTION = "retention"
    PURPOSE_ENDED = "purpose_ended"
    LEFT_SCHOOL = "left_school"
    OTHER = "other"


class FollowUpStatus(StrEnum):
    """Lifecycle of a follow-up task."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Action(StrEnum):
    """The steps a user can take on a case; a workflow definition says where each is allowed."""

    RECORD_HOME_VISIT = "record_home_visit"
    PAIR_MENTOR = "pair_mentor"
    RELEASE_MENTOR = "release_mentor"
    RECORD_COUNSELLING = "record_counselling"
    REVIEW_CASE = "review_case"
    CLOSE_CASE = "close_case"
    REOPEN_CASE = "reopen_case"
    LOG_CONTACT = "log_contact"
    ADD_NOTE = "add_note"
    ASSIGN_HEAD_TEACHER = "assign_head_teacher"
    CHANGE_RISK_LEVEL = "change_risk_level"
    COMPLETE_FOLLOW_UP = "complete_follow_up"
    AMEND_DETAILS = "amend_details"
    RECORD_CONSENT = "record_consent"
    WITHDRAW_CONSENT = "withdraw_consent"


class Actor(Frozen):
    """Who did something: a user id and the role they acted in."""

    user_id: Ident
    role: Role


class WorkflowRef(Frozen):
    """The workflow definition (name and version) a case follows."""

    name: Ident
    version: int = Field(ge=1)

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class CommandContext(Frozen):
    """What every command carries besides its own arguments.

    ``occurred_at`` is when the act happened, as the user states it; ``recorded_at`` is
    the server's clock when the command is handled (the application passes it in).
    """

    actor: Actor
    command_id: UUID
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class Child(Frozen):
    """The child a case is about (personal data: never logged, never in ids). The class
    is how the school organises its work (boards, scopes), not the child's own data."""

    name: Annotated[ShortText, PERSONAL]
    gender: Annotated[
        Annotated[str, StringConstraints(pattern=r"^(female|male|other)$")] | None, PERSONAL
    ] = None
    birth_date: Annotated[date | None, PERSONAL] = None
    class_name: ShortText | None = None


class Guardian(Frozen):
    """The proxy parent (代理家长) the child lives with."""

    name: Annotated[ShortText, PERSONAL]
    relation: Annotated[ShortText, PERSONAL]
    phone: Annotated[Phone | None, PERSONAL] = None


class Parents(Frozen):
    """Where the parents are (``away``, a category, is what statistics count)."""

    away: ParentsAway
    work_place: Annotated[ShortText | None, PERSONAL] = None
    phone: Annotated[Phone | None, PERSONAL] = None


class ConsentMethod(StrEnum):
    """How the guardian gave consent: a signed paper form, or by word with a witness."""

    SIGNED_FORM = "signed_form"
    VERBAL = "verbal"


class Consent(Frozen):
    """The guardian's consent to the school keeping the child's case (PIPL Art. 31).

    Personal data (``PERSONAL``: sealed under the case key, erased with it): ``given_by``,
    ``relation`` and ``witness`` name people; they are never logged nor in ids or summaries.
    ``method``, ``form_number`` and ``given_on`` are the record's skeleton.
    """

    given_by: Annotated[ShortText, PERSONAL]  # the guardian who consented
    relation: Annotated[ShortText, PERSONAL]  # how they are related to the child
    method: ConsentMethod
    #: The number printed on the signed form (a signed form needs one).
    form_number: ShortText | None = Field(default=None, validate_default=True)
    #: Who heard a verbal consent (personal: a verbal consent needs one).
    witness: Annotated[ShortText | None, PERSONAL] = Field(default=None, validate_default=True)
    given_on: date

    # Checked per field (``method`` comes first), so a refusal names the missing one.
    @field_validator("form_number")
    @classmethod
    def _signed_form_has_a_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("method") is ConsentMethod.SIGNED_FORM and not value:
            raise ValueError("a signed form's consent needs its form_number")
        return value

    @field_validator("witness")
    @classmethod
    def _verbal_consent_has_a_witness(cls, value: str | None, info: ValidationInfo) -> str | None:
        # An erased consent (its people read as erased) keeps its method, not its witness.
        erased = info.data.get("given_by") == ERASED
        if info.data.get("method") is ConsentMethod.VERBAL and not value and not erased:
            raise ValueError("a verbal consent needs a witness")
        return value


class ConsentWithdrawal(Frozen):
    """The guardian withdrew their consent; a supervisor decides on erasure.

    Personal data (``PERSONAL``): ``withdrawn_by``, ``relation`` and ``note``.
    """

    withdrawn_by: Annotated[ShortText, PERSONAL]
    relation: Annotated[ShortText, PERSONAL]
    withdrawn_at: AwareDatetime
    note: Annotated[Text | None, PERSONAL] = None  # free text


class FollowUp(Frozen):
    """A follow-up task of a case, as the case knows it."""

    follow_up_id: UUID
    rule_id: str
    sequence: int
    kind: str
    due_at: AwareDatetime
    assignee_role: AssigneeRole
    assignee_id: str | None
    status: FollowUpStatus = FollowUpStatus.OPEN
    escalation_level: int = 0
    scheduled_at: AwareDatetime
    closed_at: AwareDatetime | None = None

    @property
    def is_open(self) -> bool:
        """True while the task still has to be done."""
        return self.status is FollowUpStatus.OPEN


_IDENT: TypeAdapter[str] = TypeAdapter(Ident)
_TEXT: TypeAdapter[str] = TypeAdapter(Text)
_SHORT: TypeAdapter[str] = TypeAdapter(ShortText)


def valid_id(field: str, value: str) -> str:
    """``value`` if it is a valid id, else :class:`InvalidCommand` naming the field."""
    try:
        return _IDENT.validate_python(value)
    except ValidationError:
        raise InvalidCommand(f"{field} {value!r} is not a valid id ({_IDENT_RULE})") from None


def valid_text(field: str, value: str | None, *, short: bool = False) -> str | None:
    """Stripped ``value`` if it is acceptable free text (or None), else :class:`InvalidCommand`."""
    if value is None:
        return None
    try:
        return (_SHORT if short else _TEXT).validate_python(value)
    except ValidationError:
        limit = 200 if short else 4000
        raise InvalidCommand(f"{field} must be 1-{limit} characters") from None
