"""The port the auth data lives behind: users, the teacher roster, tokens, people's passwords, invitations and
sessions, failed logins, the access log, idempotent responses.

One contract, several drivers: SQLite (``auth.sqlite`` in the data directory) here, and
PostgreSQL beside it. Drivers use portable SQL with ``?`` placeholders.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import date, datetime

from adapters.driven.auth.models import (
    AccessEntry,
    Session,
    StoredInvitation,
    StoredResponse,
    Teacher,
    Token,
    User,
)


class UserExists(Exception):
    """Raised when adding a user whose id is taken."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(f"user {user_id} already exists")


class AuthStore(ABC):
    """Where users, tokens, passwords, sessions, the access log and idempotent responses are kept.

    Invitation and session tokens reach the store only as their keyed hashes.
    """

    @abstractmethod
    def setup(self) -> None:
        """Create the tables if missing (idempotent)."""

    # ------------------------------------------------------------ users
    @abstractmethod
    def add_user(self, user: User) -> None:
        """Add a user; :class:`UserExists` if the id is taken."""

    @abstractmethod
    def get_user(self, user_id: str) -> User | None:
        """One user by id."""

    @abstractmethod
    def list_users(self) -> list[User]:
        """Every user, by id."""

    @abstractmethod
    def disable_user(self, user_id: str, at: datetime) -> bool:
        """Mark a user disabled (their tokens stop working); False if unknown or already."""

    # ------------------------------------------------------------ the teacher roster
    @abstractmethod
    def put_teachers(self, teachers: Sequence[Teacher], *, replace: bool = True) -> int:
        """Add teachers to their schools' rosters in one transaction; an existing record
        (same school and id) is replaced, or with ``replace=False`` kept. How many written."""

    @abstractmethod
    def get_teacher(self, school_id: str, teacher_id: str) -> Teacher | None:
        """One teacher of one school's roster (active or left)."""

    @abstractmethod
    def teacher_records(self, teacher_id: str) -> list[Teacher]:
        """Every school's record of one teacher id, by school."""

    @abstractmethod
    def list_teachers(self, school_id: str, *, active_only: bool = False) -> list[Teacher]:
        """A school's roster by teacher id (only those who have not left, if asked)."""

    @abstractmethod
    def teacher_left(self, school_id: str, teacher_id: str, on: date) -> bool:
        """Mark a teacher as having left the school on ``on``; False if unknown or already."""

    # ------------------------------------------------------------ tokens
    @abstractmethod
    def add_token(self, token: Token, token_hash: str) -> None:
        """Store a token under the keyed hash of its secret."""

    @abstractmethod
    def find_token(self, token_hash: str) -> tuple[Token, User] | None:
        """The token with this hash and its user (whatever their state), or None."""

    @abstractmethod
    def list_tokens(self, user_id: str | None = None) -> list[Token]:
        """Tokens, newest first (of one user, or all)."""

    @abstractmethod
    def revoke_token(self, token_id: str, at: datetime) -> bool:
        """Revoke one token; False if unknown or already revoked."""

    @abstractmethod
    def revoke_tokens(self, user_id: str, at: datetime, label: str | None = None) -> int:
        """Revoke a user's active tokens (only those with ``label`` if given); how many."""

    # ------------------------------------------------------------ passwords
    @abstractmethod
    def password_hash(self, user_id: str) -> str | None:
        """A user's stored password hash, or None if they have no password."""

    @abstractmethod
    def rehash_password(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        """Replace ``old_hash`` by a new hash of the same password; False if it changed meanwhile."""

    # ------------------------------------------------------------ preferences
    @abstractmethod
    def language(self, user_id: str) -> str | None:
        """The language a person chose for the pages, or None."""

    @abstractmethod
    def set_language(self, user_id: str, language: str) -> None:
        """Remember the language a person chose for the pages."""

    # ------------------------------------------------------------ invitations
    @abstractmethod
    def add_invitation(self, invitation: StoredInvitation, token_hash: str) -> int:
        """Store an invitation, withdrawing the user's earlier unused ones; how many were withdrawn."""

    @abstractmethod
    def find_invitation(self, token_hash: str) -> tuple[StoredInvitation, User] | None:
        """The invitation with this hash and its user (whatever their state), or None."""

    @abstractmethod
    def use_invitation(
        self, token_hash: str, password_hash: str, session: Session, session_hash: str
    ) -> bool:
        """Set a password through an invitation and log its user in, in one transaction.

        Marks the invitation used if it is unused, is the user's (``session.user_id``),
        has not expired at ``session.created_at`` and its user is not disabled; then stores
        the password hash, ends the user's sessions and adds ``session``. Of two concurrent
        calls with one invitation exactly one returns True; False writes nothing.
        """

    # ------------------------------------------------------------ sessions
    @abstractmethod
    def add_session(self, session: Session, session_hash: str) -> None:
        """Store a session under the keyed hash of its token (the user's ended and expired
        sessions are dropped)."""

    @abstractmethod
    def find_session(self, session_hash: str) -> tuple[Session, User] | None:
        """The session with this hash and its user (whatever their state), or None."""

    @abstractmethod
    def touch_session(self, session_hash: str, at: datetime) -> None:
        """Record a request of a session at ``at``."""

    @abstractmethod
    def end_session(self, session_hash: str, at: datetime) -> bool:
        """End one session; False if unknown or already ended."""

    @abstractmethod
    def end_sessions(self, user_id: str, at: datetime) -> int:
        """End every open session of a user; how many."""

    # ------------------------------------------------------------ failed logins
    @abstractmethod
    def record_failure(self, keys: Sequence[str], at: datetime, *, forget_before: datetime) -> None:
        """Count a failed login against each key; failures before ``forget_before`` are dropped."""

    @abstractmethod
    def recent_failures(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        """How many failures a key has had since ``since``, and when the last one was."""

    @abstractmethod
    def clear_failures(self, key: str) -> None:
        """Forget a key's failures."""

    # ------------------------------------------------------------ access log
    @abstractmethod
    def record_access(self, entry: AccessEntry) -> None:
        """Append one entry; durable when this returns."""

    @abstractmethod
    def record_accesses(self, entries: Sequence[AccessEntry]) -> None:
        """Append several entries in one transaction (all or none); durable when this returns."""

    @abstractmethod
    def access_log(
        self,
        *,
        school_ids: Sequence[str] | None = None,
        case_id: str | None = None,
        user_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[AccessEntry]:
        """Entries in order of recording after entry id ``after``, filtered; or, given
        ``before``, the latest entries before that id, newest first."""

    # ------------------------------------------------------------ idempotency
    @abstractmethod
    def claim_key(
        self, user_id: str, key: str, fingerprint: str, at: datetime, *, stale_before: datetime,
        holder: bytes = b"", holder_ended: Callable[[bytes], bool] | None = None,
    ) -> StoredResponse | None:
        """Claim an idempotency key for a request about to run.

        A claim in flight keeps ``holder`` (who runs the request) as its ``body`` until the
        response replaces it. None: the key is now held by the caller (a new key, or an
        abandoned claim of the same request: made before ``stale_before``, or whose holder
        has ended by ``holder_ended``). Otherwise what the key holds: a finished response,
        or a claim in flight (``status`` 0).
        """

    @abstractmethod
    def complete_key(self, user_id: str, key: str, status: int, body: bytes) -> None:
        """Keep the response of the request that holds the key."""

    @abstractmethod
    def release_key(self, user_id: str, key: str) -> None:
        """Give up a claim whose request failed (a retry may run it again)."""

    @abstractmethod
    def forget_responses(self, mentioning: str) -> int:
        """Delete the kept responses whose body mentions ``mentioning`` (a case id, at its
        erasure); returns how many."""

    def close(self) -> None:  # noqa: B027 - optional for drivers
        """Release connections."""
