"""The auth store's SQL for people: passwords, invitations, sessions and failed logins.

Part of :class:`adapters.driven.auth.sql.SQLAuthStore`, which provides the connections.
Tokens of invitations and sessions never reach these tables: only their keyed hashes do.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from adapters.driven.auth import rows
from adapters.driven.auth.models import Session, StoredInvitation, User
from projections.store import Cursor, from_iso, iso, iso_once

PEOPLE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS passwords (user_id TEXT PRIMARY KEY REFERENCES users (user_id), "
    "hash TEXT NOT NULL, set_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS invitations (token_hash TEXT PRIMARY KEY, "
    "user_id TEXT NOT NULL REFERENCES users (user_id), "
    "purpose TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')), created_at TEXT NOT NULL, "
    "expires_at TEXT NOT NULL, used_at TEXT)",
    "CREATE INDEX IF NOT EXISTS invitations_by_user ON invitations (user_id)",
    "CREATE TABLE IF NOT EXISTS sessions (session_hash TEXT PRIMARY KEY, "
    "user_id TEXT NOT NULL REFERENCES users (user_id), csrf_token TEXT NOT NULL, "
    "created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL, expires_at TEXT NOT NULL, ended_at TEXT)",
    "CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id)",
    "CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS login_failures_by_key ON login_failures (key, at)",
    "CREATE TABLE IF NOT EXISTS preferences (user_id TEXT PRIMARY KEY REFERENCES users (user_id), "
    "language TEXT NOT NULL)",
)


class PeopleSQL(ABC):
    """The people's half of the SQL auth store."""

    @abstractmethod
    def _write(self) -> AbstractContextManager[Cursor]:
        """A write transaction: committed on success, rolled back on error."""

    @abstractmethod
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of one read."""

    # ------------------------------------------------------------ passwords
    def password_hash(self, user_id: str) -> str | None:
        found = self._query("SELECT hash FROM passwords WHERE user_id = ?", (user_id,))
        return str(found[0][0]) if found else None

    def rehash_password(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        with self._write() as cur:
            cur.execute(
                "UPDATE passwords SET hash = ? WHERE user_id = ? AND hash = ?",
                (new_hash, user_id, old_hash),
            )
            return cur.rowcount == 1

    # ------------------------------------------------------------ preferences
    def language(self, user_id: str) -> str | None:
        found = self._query("SELECT language FROM preferences WHERE user_id = ?", (user_id,))
        return str(found[0][0]) if found else None

    def set_language(self, user_id: str, language: str) -> None:
        with self._write() as cur:
            cur.execute(
                "INSERT INTO preferences (user_id, language) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language",
                (user_id, language),
            )

    # ------------------------------------------------------------ invitations
    def add_invitation(self, invitation: StoredInvitation, token_hash: str) -> int:
        with self._write() as cur:
            cur.execute(
                "UPDATE invitations SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
                (iso(invitation.created_at), invitation.user_id),
            )
            withdrawn = cur.rowcount
            cur.execute(
                f"INSERT INTO invitations (token_hash, {rows.INVITATION_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (token_hash, invitation.user_id, invitation.purpose, iso(invitation.created_at),
                 iso(invitation.expires_at), iso(invitation.used_at)),
            )
            return withdrawn

    def find_invitation(self, token_hash: str) -> tuple[StoredInvitation, User] | None:
        found = self._query(
            f"SELECT {rows.prefixed('i', rows.INVITATION_COLUMNS)}, "
            f"{rows.prefixed('u', rows.USER_COLUMNS)} "
            "FROM invitations i JOIN users u ON u.user_id = i.user_id WHERE i.token_hash = ?",
            (token_hash,),
        )
        return (rows.invitation(found[0][:5]), rows.user(found[0][5:])) if found else None

    def use_invitation(
        self, token_hash: str, password_hash: str, session: Session, session_hash: str
    ) -> bool:
        at = iso(session.created_at)
        with self._write() as cur:
            # The guarded update decides: of two concurrent uses, the second finds used_at
            # set (SQLite: after the first's commit; PostgreSQL: re-checked once the row's
            # lock is released) and changes nothing.
            cur.execute(
                "UPDATE invitations SET used_at = ? WHERE token_hash = ? AND user_id = ? "
                "AND used_at IS NULL AND expires_at > ? "
                "AND user_id IN (SELECT user_id FROM users WHERE disabled_at IS NULL)",
                (at, token_hash, session.user_id, at),
            )
            if cur.rowcount != 1:
                return False
            cur.execute(
                "INSERT INTO passwords (user_id, hash, set_at) VALUES (?, ?, ?) ON CONFLICT (user_id) "
                "DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at",
                (session.user_id, password_hash, at),
            )
            cur.execute(
                "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
                (at, session.user_id),
            )
            _insert_session(cur, session, session_hash)
            return True

    # ------------------------------------------------------------ sessions
    def add_session(self, session: Session, session_hash: str) -> None:
        with self._write() as cur:
            _insert_session(cur, session, session_hash)

    def find_session(self, session_hash: str) -> tuple[Session, User] | None:
        found = self._query(
            f"SELECT {rows.prefixed('s', rows.SESSION_COLUMNS)}, "
            f"{rows.prefixed('u', rows.USER_COLUMNS)} "
            "FROM sessions s JOIN users u ON u.user_id = s.user_id WHERE s.session_hash = ?",
            (session_hash,),
        )
        return (rows.session(found[0][:6]), rows.user(found[0][6:])) if found else None

    def touch_session(self, session_hash: str, at: datetime) -> None:
        with self._write() as cur:
            cur.execute(
                "UPDATE sessions SET last_seen_at = ? WHERE session_hash = ? AND last_seen_at < ?",
                (iso_once(at), session_hash, iso_once(at)),
            )

    def end_session(self, session_hash: str, at: datetime) -> bool:
        with self._write() as cur:
            cur.execute(
                "UPDATE sessions SET ended_at = ? WHERE session_hash = ? AND ended_at IS NULL",
                (iso_once(at), session_hash),
            )
            return cur.rowcount == 1

    def end_sessions(self, user_id: str, at: datetime) -> int:
        with self._write() as cur:
            cur.execute(
                "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
                (iso_once(at), user_id),
            )
            return cur.rowcount

    # ------------------------------------------------------------ failed logins
    def record_failure(self, keys: Sequence[str], at: datetime, *, forget_before: datetime) -> None:
        with self._write() as cur:
            cur.execute("DELETE FROM login_failures WHERE at < ?", (iso_once(forget_before),))
            cur.executemany(
                "INSERT INTO login_failures (key, at) VALUES (?, ?)", [(k, iso_once(at)) for k in keys]
            )

    def recent_failures(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        count, last = self._query(
            "SELECT COUNT(*), MAX(at) FROM login_failures WHERE key = ? AND at >= ?",
            (key, iso_once(since)),
        )[0]
        return int(count), from_iso(last)

    def clear_failures(self, key: str) -> None:
        with self._write() as cur:
            cur.execute("DELETE FROM login_failures WHERE key = ?", (key,))


def _insert_session(cur: Cursor, session: Session, session_hash: str) -> None:
    """Add a session, dropping the user's sessions that have ended or expired."""
    cur.execute(
        "DELETE FROM sessions WHERE user_id = ? AND (ended_at IS NOT NULL OR expires_at <= ?)",
        (session.user_id, iso(session.created_at)),
    )
    cur.execute(
        f"INSERT INTO sessions (session_hash, {rows.SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (session_hash, session.user_id, session.csrf_token, iso(session.created_at),
         iso(session.last_seen_at), iso(session.expires_at), iso(session.ended_at)),
    )
