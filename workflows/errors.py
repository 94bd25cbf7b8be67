"""Refusals that come from the application, not from a rule of the domain."""

from __future__ import annotations

from uuid import UUID

from domain.errors import DomainError


class VersionConflict(DomainError):
    """Raised when the caller expected another version of the case (``If-Match``)."""

    code = "version-conflict"

    def __init__(self, case_id: UUID, expected: int, actual: int) -> None:
        self.case_id = case_id
        self.expected = expected
        self.actual = actual
        super().__init__(f"case {case_id} is at version {actual}, not {expected}")


class ConcurrentUpdate(DomainError):
    """Raised when other writers kept changing the case while a command was retried."""

    code = "concurrent-update"

    def __init__(self, case_id: UUID, attempts: int) -> None:
        self.case_id = case_id
        super().__init__(
            f"case {case_id} changed under this command {attempts} times in a row; try again"
        )


class AssigneeNotEligible(DomainError):
    """Raised when a case would name as head teacher or mentor someone who may not take it:
    no such person, disabled, of another school, or of a role that takes no assignments."""

    code = "assignee-not-eligible"

    def __init__(self, user_id: str, school_id: str, assignment: str) -> None:
        self.user_id = user_id
        self.school_id = school_id
        self.assignment = assignment
        super().__init__(
            f"{user_id} may not be the {assignment.replace('_', ' ')} of a case of school "
            f"{school_id}: not an active teacher of that school"
        )
