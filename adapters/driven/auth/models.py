"""What the auth store keeps: users with their role and schools, tokens, access entries."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.values import Ident, Role


class UserRole(StrEnum):
    """The roles a person can hold (``system`` is the scheduler, never a user)."""

    TEACHER = "teacher"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def domain_role(self) -> Role:
        """The role events record for this user."""
        return Role(self.value)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class User(_Record):
    """A person who may call the API; ``user_id`` is the id events and tasks name."""

    user_id: Ident
    display_name: str | None = Field(default=None, max_length=200)
    role: UserRole
    schools: tuple[Ident, ...] = ()
    created_at: AwareDatetime
    disabled_at: AwareDatetime | None = None


class Token(_Record):
    """An issued bearer token (the secret itself is never stored, only its keyed hash)."""

    token_id: str
    user_id: str
    label: str | None = None
    created_at: AwareDatetime
    expires_at: AwareDatetime
    revoked_at: AwareDatetime | None = None


class Principal(_Record):
    """The authenticated caller of one request."""

    user_id: str
    role: UserRole
    schools: tuple[str, ...]
    token_id: str
    expires_at: AwareDatetime


class AccessEntry(_Record):
    """One read of a case's personal data: who, in which role, when, what, and why."""

    entry_id: int | None = None
    at: AwareDatetime
    user_id: str
    role: str
    case_id: str
    school_id: str | None
    resource: str
    purpose: str
    request_id: str | None = None


class StoredResponse(_Record):
    """The first answer to a request sent with an ``Idempotency-Key`` (status 0: in flight)."""

    fingerprint: str
    status: int
    body: bytes
    created_at: AwareDatetime
