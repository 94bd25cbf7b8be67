"""Errors the domain raises when it refuses a command. Each names the ids involved."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID


class DomainError(Exception):
    """Base of every refusal by the domain; ``code`` is stable and maps to the API's type."""

    code = "domain-error"


class IllegalStep(DomainError):
    """Raised when an action is not allowed in the case's current state."""

    code = "illegal-step"

    def __init__(self, case_id: UUID, state: str, action: str, allowed: Iterable[str]) -> None:
        self.case_id = case_id
        self.state = state
        self.action = action
        self.allowed = tuple(allowed)
        allowed_text = ", ".join(self.allowed) or "nothing"
        super().__init__(
            f"case {case_id} is '{state}': {action} is not allowed; allowed: {allowed_text}"
        )


class CaseAlreadyExists(DomainError):
    """Raised when a child who already has a case is identified again."""

    code = "case-exists"

    def __init__(self, case_id: UUID, school_id: str) -> None:
        self.case_id = case_id
        super().__init__(
            f"this student of school {school_id} already has case {case_id}"
        )


class CaseNotFound(DomainError):
    """Raised when no case has the given id."""

    code = "case-not-found"

    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        super().__init__(f"case {case_id} not found")


class CaseErased(DomainError):
    """Raised by a step on a case whose personal data was erased: it takes no more steps."""

    code = "case-erased"

    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        super().__init__(f"case {case_id} was erased: it takes no further steps")


class AlreadyErased(CaseErased):
    """Raised by an erasure of a case already erased: nothing changes."""

    code = "already-erased"

    def __init__(self, case_id: UUID) -> None:
        super().__init__(case_id)
        self.args = (f"case {case_id} is already erased: nothing changed",)


class NotPermitted(DomainError):
    """Raised when the actor's role may not take this step."""

    code = "not-permitted"


class InvalidCommand(DomainError):
    """Raised when a command's arguments contradict the case (not its state machine)."""

    code = "invalid-command"


class OccurredInFuture(InvalidCommand):
    """Raised when a stated ``occurred_at`` lies beyond the tolerated clock skew."""

    code = "occurred-in-future"

    def __init__(self, occurred_at: datetime, recorded_at: datetime) -> None:
        super().__init__(
            f"occurred_at {occurred_at.isoformat()} is in the future "
            f"(server time {recorded_at.isoformat()})"
        )


class OccurredBeforeCase(InvalidCommand):
    """Raised when a stated ``occurred_at`` precedes the case's identification."""

    code = "occurred-before-case"

    def __init__(self, case_id: UUID, occurred_at: datetime, opened_at: datetime) -> None:
        super().__init__(
            f"occurred_at {occurred_at.isoformat()} is before case {case_id} "
            f"was identified ({opened_at.isoformat()})"
        )


class FollowUpNotOpen(InvalidCommand):
    """Raised when completing a follow-up that is unknown, done or cancelled."""

    code = "follow-up-not-open"

    def __init__(self, case_id: UUID, follow_up_id: UUID, status: str | None) -> None:
        self.follow_up_id = follow_up_id
        what = "does not exist" if status is None else f"is {status}"
        super().__init__(f"follow-up {follow_up_id} of case {case_id} {what}")


class MentorAtCapacity(DomainError):
    """Raised when pairing a mentor who already has the maximum number of children."""

    code = "mentor-at-capacity"

    def __init__(self, teacher_id: str, capacity: int) -> None:
        self.teacher_id = teacher_id
        self.capacity = capacity
        super().__init__(f"mentor {teacher_id} already has {capacity} children (the maximum)")


class AlreadyApplied(Exception):  # a signal, not an error
    """Raised by a command whose command id the aggregate has already applied.

    Not a refusal: the application answers with the first result and records nothing.
    """

    def __init__(self, command_id: UUID, version: int) -> None:
        self.command_id = command_id
        self.version = version
        super().__init__(f"command {command_id} already applied at version {version}")
