"""The port the auth data lives behind: users, tokens, access log, idempotent responses.

One contract, several drivers: SQLite (``auth.sqlite`` in the data directory) here, and
PostgreSQL beside it. Drivers use portable SQL with ``?`` placeholders.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from adapters.driven.auth.models import AccessEntry, StoredResponse, Token, User


class UserExists(Exception):
    """Raised when adding a user whose id is taken."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(f"user {user_id} already exists")


class AuthStore(ABC):
    """Where users, tokens, the access log and idempotent responses are kept."""

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

    # ------------------------------------------------------------ access log
    @abstractmethod
    def record_access(self, entry: AccessEntry) -> None:
        """Append one entry; durable when this returns."""

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
        limit: int = 50,
    ) -> list[AccessEntry]:
        """Entries in order of recording, after entry id ``after``, filtered."""

    # ------------------------------------------------------------ idempotency
    @abstractmethod
    def claim_key(
        self, user_id: str, key: str, fingerprint: str, at: datetime, *, stale_before: datetime
    ) -> StoredResponse | None:
        """Claim an idempotency key for a request about to run.

        None: the key is now held by the caller (a new key, or an abandoned claim made
        before ``stale_before``). Otherwise what the key holds: a finished response, or
        a claim in flight (``status`` 0).
        """

    @abstractmethod
    def complete_key(self, user_id: str, key: str, status: int, body: bytes) -> None:
        """Keep the response of the request that holds the key."""

    @abstractmethod
    def release_key(self, user_id: str, key: str) -> None:
        """Give up a claim whose request failed (a retry may run it again)."""

    def close(self) -> None:  # noqa: B027 - optional for drivers
        """Release connections."""
