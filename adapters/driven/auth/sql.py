"""The auth store's SQL, shared by its drivers: portable statements with ``?`` placeholders.

A driver provides connections (:meth:`SQLAuthStore._write`, :meth:`SQLAuthStore._query`),
the column types that differ, and the exception its database raises on a duplicate key.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, ClassVar

from adapters.driven.auth import rows
from adapters.driven.auth.models import AccessEntry, StoredResponse, Teacher, Token, User, UserRole
from adapters.driven.auth.port import AuthStore, UserExists
from adapters.driven.auth.roster import LOGIN_ROLES
from adapters.driven.auth.rows import ACCESS_COLUMNS, TOKEN_COLUMNS, USER_COLUMNS
from adapters.driven.auth.sql_people import PEOPLE_SCHEMA, PeopleSQL
from adapters.driven.auth.sql_roster import ROSTER_SCHEMA, RosterSQL
from projections.store import Cursor, iso

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS users (user_id TEXT PRIMARY KEY, display_name TEXT, "
    "role TEXT NOT NULL, schools TEXT NOT NULL, created_at TEXT NOT NULL, disabled_at TEXT)",
    "CREATE TABLE IF NOT EXISTS tokens (token_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, "
    "user_id TEXT NOT NULL REFERENCES users (user_id), label TEXT, created_at TEXT NOT NULL, "
    "expires_at TEXT NOT NULL, revoked_at TEXT)",
    "CREATE INDEX IF NOT EXISTS tokens_by_user ON tokens (user_id, created_at)",
    "CREATE TABLE IF NOT EXISTS access_log (entry_id {serial}, "
    "at TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL, case_id TEXT NOT NULL, "
    "school_id TEXT, resource TEXT NOT NULL, purpose TEXT NOT NULL, request_id TEXT)",
    "CREATE INDEX IF NOT EXISTS access_by_case ON access_log (case_id, entry_id)",
    "CREATE INDEX IF NOT EXISTS access_by_school ON access_log (school_id, entry_id)",
    "CREATE TABLE IF NOT EXISTS idempotent_responses (user_id TEXT NOT NULL, key TEXT NOT NULL, "
    "fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body {blob} NOT NULL, "
    "created_at TEXT NOT NULL, PRIMARY KEY (user_id, key))",
)


class SQLAuthStore(PeopleSQL, RosterSQL, AuthStore):
    """Users, tokens, the access log and idempotent responses in four tables; people's
    passwords, invitations, sessions and failed logins in four more (:class:`PeopleSQL`);
    the teacher roster in one (:class:`RosterSQL`)."""

    #: Column types that differ between databases.
    TYPES: ClassVar[dict[str, str]]
    #: Appended to a SELECT that must lock the row it reads ("FOR UPDATE" where supported).
    LOCK_ROW: ClassVar[str] = ""
    #: What the driver raises on a duplicate key.
    integrity_errors: tuple[type[Exception], ...]

    @abstractmethod
    def _write(self) -> AbstractContextManager[Cursor]:
        """A write transaction: committed on success, rolled back on error."""

    @abstractmethod
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of one read."""

    def setup(self) -> None:
        with self._write() as cur:
            for ddl in (*SCHEMA, *PEOPLE_SCHEMA, *ROSTER_SCHEMA):
                cur.execute(ddl.format(**self.TYPES))
        # Logins of role teacher made before the roster was kept get their records (as a
        # login made now does); a record already there is kept as it is.
        self.put_teachers([
            Teacher(teacher_id=u.user_id, school_id=s, name=u.display_name, roles=LOGIN_ROLES)
            for u in self.list_users() if u.role is UserRole.TEACHER for s in u.schools
        ], replace=False)

    # ------------------------------------------------------------ users
    def add_user(self, user: User) -> None:
        try:
            with self._write() as cur:
                cur.execute(
                    f"INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                    (user.user_id, user.display_name, user.role.value, json.dumps(list(user.schools)),
                     iso(user.created_at), iso(user.disabled_at)),
                )
        except self.integrity_errors:
            raise UserExists(user.user_id) from None

    def get_user(self, user_id: str) -> User | None:
        found = self._query(f"SELECT {USER_COLUMNS} FROM users WHERE user_id = ?", (user_id,))
        return rows.user(found[0]) if found else None

    def list_users(self) -> list[User]:
        return [rows.user(r) for r in self._query(f"SELECT {USER_COLUMNS} FROM users ORDER BY user_id")]

    def disable_user(self, user_id: str, at: datetime) -> bool:
        with self._write() as cur:
            cur.execute(
                "UPDATE users SET disabled_at = ? WHERE user_id = ? AND disabled_at IS NULL",
                (iso(at), user_id),
            )
            return cur.rowcount == 1

    # ------------------------------------------------------------ tokens
    def add_token(self, token: Token, token_hash: str) -> None:
        with self._write() as cur:
            cur.execute(
                f"INSERT INTO tokens ({TOKEN_COLUMNS}, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (token.token_id, token.user_id, token.label, iso(token.created_at),
                 iso(token.expires_at), iso(token.revoked_at), token_hash),
            )

    def find_token(self, token_hash: str) -> tuple[Token, User] | None:
        found = self._query(
            f"SELECT {rows.prefixed('t', TOKEN_COLUMNS)}, {rows.prefixed('u', USER_COLUMNS)} "
            "FROM tokens t JOIN users u ON u.user_id = t.user_id WHERE t.token_hash = ?",
            (token_hash,),
        )
        if not found:
            return None
        return rows.token(found[0][:6]), rows.user(found[0][6:])

    def list_tokens(self, user_id: str | None = None) -> list[Token]:
        sql = f"SELECT {TOKEN_COLUMNS} FROM tokens"
        params: tuple[str, ...] = ()
        if user_id is not None:
            sql += " WHERE user_id = ?"
            params = (user_id,)
        return [rows.token(r) for r in self._query(sql + " ORDER BY created_at DESC, token_id", params)]

    def revoke_token(self, token_id: str, at: datetime) -> bool:
        with self._write() as cur:
            cur.execute(
                "UPDATE tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                (iso(at), token_id),
            )
            return cur.rowcount == 1

    def revoke_tokens(self, user_id: str, at: datetime, label: str | None = None) -> int:
        sql = "UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL"
        params: list[Any] = [iso(at), user_id]
        if label is not None:
            sql += " AND label = ?"
            params.append(label)
        with self._write() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    # ------------------------------------------------------------ access log
    def record_access(self, entry: AccessEntry) -> None:
        self.record_accesses([entry])

    def record_accesses(self, entries: Sequence[AccessEntry]) -> None:
        if not entries:
            return
        with self._write() as cur:
            cur.executemany(
                "INSERT INTO access_log (at, user_id, role, case_id, school_id, resource, purpose, "
                "request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(iso(e.at), e.user_id, e.role, e.case_id, e.school_id, e.resource, e.purpose,
                  e.request_id) for e in entries],
            )

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
        where: list[str] = []
        params: list[Any] = []
        if school_ids is not None:
            if not school_ids:
                return []
            where.append(f"school_id IN ({', '.join('?' for _ in school_ids)})")
            params += list(school_ids)
        for column, value in (("case_id", case_id), ("user_id", user_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            where.append("at >= ?")
            params.append(iso(since))
        if until is not None:
            where.append("at < ?")
            params.append(iso(until))
        if after is not None:
            where.append("entry_id > ?")
            params.append(after)
        if before is not None:
            where.append("entry_id < ?")
            params.append(before)
        sql = f"SELECT {ACCESS_COLUMNS} FROM access_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        order = "entry_id DESC" if before is not None else "entry_id"
        found = self._query(sql + f" ORDER BY {order} LIMIT ?", (*params, limit))
        return [rows.access(r) for r in found]

    # ------------------------------------------------------------ idempotency
    def claim_key(
        self, user_id: str, key: str, fingerprint: str, at: datetime, *, stale_before: datetime,
        holder: bytes = b"", holder_ended: Callable[[bytes], bool] | None = None,
    ) -> StoredResponse | None:
        with self._write() as cur:
            # Insert-or-nothing first: of two racing requests exactly one gets the row.
            cur.execute(
                "INSERT INTO idempotent_responses (user_id, key, fingerprint, status, body, "
                "created_at) VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (user_id, key) DO NOTHING",
                (user_id, key, fingerprint, holder, iso(at)),
            )
            if cur.rowcount == 1:
                return None
            cur.execute(
                "SELECT fingerprint, status, body, created_at FROM idempotent_responses "
                f"WHERE user_id = ? AND key = ? {self.LOCK_ROW}",
                (user_id, key),
            )
            kept = rows.response(cur.fetchone())
            if kept.status == 0 and kept.fingerprint == fingerprint and (
                kept.created_at < stale_before
                or (holder_ended is not None and holder_ended(kept.body))
            ):
                cur.execute(  # the row is locked: one taker only
                    "UPDATE idempotent_responses SET created_at = ?, body = ? "
                    "WHERE user_id = ? AND key = ?",
                    (iso(at), holder, user_id, key),
                )
                return None
            return kept

    def complete_key(self, user_id: str, key: str, status: int, body: bytes) -> None:
        with self._write() as cur:
            cur.execute(
                "UPDATE idempotent_responses SET status = ?, body = ? WHERE user_id = ? AND key = ?",
                (status, body, user_id, key),
            )

    def release_key(self, user_id: str, key: str) -> None:
        with self._write() as cur:
            cur.execute(
                "DELETE FROM idempotent_responses WHERE user_id = ? AND key = ? AND status = 0",
                (user_id, key),
            )

    def forget_responses(self, mentioning: str) -> int:
        # Bodies are bytes (BLOB / BYTEA): matched here, the same on both databases.
        needle = mentioning.encode()
        found = [(u, k) for u, k, body in self._query(
            "SELECT user_id, key, body FROM idempotent_responses WHERE status <> 0")
            if needle in bytes(body)]
        with self._write() as cur:
            for user_id, key in found:
                cur.execute("DELETE FROM idempotent_responses WHERE user_id = ? AND key = ?",
                            (user_id, key))
        return len(found)
