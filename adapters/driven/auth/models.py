"""What the auth store keeps: users with their role and schools, tokens, access entries,
people's invitations and sessions."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

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


#: What an invitation link is for: a first password, or a new one.
Purpose = Literal["invite", "reset"]


class StoredInvitation(_Record):
    """An invitation or reset link as stored (under the keyed hash of its token)."""

    user_id: str
    purpose: Purpose
    created_at: AwareDatetime
    expires_at: AwareDatetime
    #: When it was used, or withdrawn by a newer invitation of the same user.
    used_at: AwareDatetime | None = None


class Invitation(_Record):
    """A usable invitation: whom it lets set a password, why, and until when."""

    user_id: str
    display_name: str | None = None
    purpose: Purpose
    expires_at: AwareDatetime


class Session(_Record):
    """A person's login as stored (under the keyed hash of its token)."""

    user_id: str
    csrf_token: str
    created_at: AwareDatetime
    last_seen_at: AwareDatetime
    expires_at: AwareDatetime
    ended_at: AwareDatetime | None = None


class SessionPrincipal(_Record):
    """The person behind a session cookie, for one request."""

    user_id: str
    role: UserRole
    schools: tuple[str, ...]
    display_name: str | None = None
    #: The value a form must send back (compare with :func:`hmac.compare_digest`).
    csrf_token: str
    #: Names the session in logs; not the token, and no way to get it.
    session_id: str
    #: The absolute end of the session (it also ends after a while without requests).
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


class TeacherRole(StrEnum):
    """The work a teacher of the roster can take at their school."""

    HEAD_TEACHER = "head_teacher"  # 班主任
    SUBJECT_TEACHER = "subject_teacher"  # 任课教师
    COUNSELLING_TEACHER = "counselling_teacher"  # 心理辅导教师
    MENTOR = "mentor"  # 结对教师


class Teacher(_Record):
    """A teacher on a school's roster; a login of role teacher links to it by ``teacher_id``.

    Active until ``left_on`` (a teacher who left stays on the roster: cases name them).
    """

    teacher_id: Ident
    school_id: Ident
    name: str | None = Field(default=None, max_length=200)
    roles: tuple[TeacherRole, ...] = ()
    joined_on: date | None = None
    left_on: date | None = None

    @property
    def active(self) -> bool:
        """True until the teacher left the school."""
        return self.left_on is None
