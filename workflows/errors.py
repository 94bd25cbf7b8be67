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
