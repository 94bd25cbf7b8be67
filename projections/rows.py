"""What the queries return: pages, rows, summaries, and the cursor and day arithmetic.

Times come back as aware UTC datetimes; showing them in a school's time zone is the
caller's business.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")
ONE_DAY = timedelta(days=1)
MAX_PAGE = 100


class BadCursor(ValueError):
    """Raised when a pagination cursor was not made by this service."""


class TaskStatus(StrEnum):
    """Which tasks a list shows."""

    OPEN = "open"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    DONE = "done"
    CANCELLED = "cancelled"


class Page(BaseModel, Generic[T]):
    """One page of a list and the cursor of the next (None on the last page)."""

    items: list[T]
    next_cursor: str | None = None


class TaskRow(BaseModel):
    """A follow-up task as lists show it."""

    follow_up_id: str
    case_id: str
    school_id: str
    class_name: str | None
    kind: str
    rule_id: str
    assignee_role: str
    assignee_id: str | None
    due_at: datetime
    status: str
    escalation_level: int
    scheduled_at: datetime
    closed_at: datetime | None
    completed_by: str | None
    days_overdue: int


class CaseRow(BaseModel):
    """A case as lists show it (no personal data: that stays in the event store)."""

    case_id: str
    school_id: str
    class_name: str | None
    state: str
    risk_level: str
    head_teacher_id: str
    mentor_id: str | None
    counselling_teacher_id: str | None
    workflow: str
    opened_at: datetime
    closed_at: datetime | None
    last_activity_at: datetime
    version: int
    next_due_at: datetime | None
    next_due_kind: str | None


class AuditRow(BaseModel):
    """One event in the cross-case log."""

    position: int
    case_id: str | None
    school_id: str | None
    aggregate_version: int
    event_type: str
    actor_id: str
    actor_role: str
    occurred_at: datetime
    recorded_at: datetime
    command_id: str
    summary: str


class OverdueCount(BaseModel):
    """Overdue tasks of one assignee and kind."""

    assignee_role: str
    assignee_id: str | None
    kind: str
    count: int
    oldest_due_at: datetime
    max_days_overdue: int


class KindStats(BaseModel):
    """Open and overdue tasks of one kind."""

    kind: str
    open: int
    overdue: int


class SchoolStats(BaseModel):
    """Counts and compliance for one school."""

    school_id: str
    cases_by_state: dict[str, int]
    tasks_by_kind: list[KindStats]
    completed_on_time: int
    completed_late: int
    on_time_rate: float | None
    mean_days_overdue: float | None
    period_from: datetime
    period_to: datetime


def encode_cursor(*key: Any) -> str:
    """An opaque cursor for a sort key."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


#: Cursor numbers are store positions and ids: 64-bit signed integers in SQLite and PostgreSQL.
CURSOR_INT_END = 2**63


def decode_cursor(cursor: str, *kinds: type) -> list[Any]:
    """The sort key in a cursor, one value per kind (``str`` that a store holds: UTF-8, no
    NUL; ``int`` with 0 <= n < 2**63; or ``datetime``: ISO text, returned as it was);
    :class:`BadCursor` if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise BadCursor("malformed cursor") from None
    if not isinstance(key, list) or len(key) != len(kinds):
        raise BadCursor("malformed cursor")
    if not all(_is_a(value, kind) for value, kind in zip(key, kinds, strict=True)):
        raise BadCursor("malformed cursor")
    return key


def _is_a(value: Any, kind: type) -> bool:
    if kind is int:
        return type(value) is int and 0 <= value < CURSOR_INT_END
    if isinstance(value, str) and not _storable(value):
        return False
    if kind is datetime:
        try:
            return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
        except ValueError:
            return False
    return isinstance(value, kind)


def _storable(text: str) -> bool:
    """Whether a store takes this text as a parameter (PostgreSQL refuses NUL; neither
    takes a lone surrogate, which is not UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def days_overdue(due_at: datetime, now: datetime) -> int:
    """Whole days a task is past due (0 if not yet due)."""
    return max(0, (now - due_at) // ONE_DAY) if now > due_at else 0
