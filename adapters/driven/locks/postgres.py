"""The scheduler's leader lock on PostgreSQL: a session advisory lock.

Every process and machine on the same database and schema contends for one lock; the
server drops it when the holder's connection ends, including when its process is killed,
so a waiting scheduler takes over.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from typing import Any

import psycopg

from adapters.driven.locks.port import LeaderLock, LockHolder

#: How the holding session names itself (then its host and pid).
APPLICATION_NAME = "caretrail-scheduler"


def lock_key(schema: str) -> int:
    """A stable signed 64-bit key per store (schema), for ``pg_advisory_lock``."""
    digest = hashlib.sha256(f"caretrail-scheduler:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLeaderLock(LeaderLock):
    """``pg_try_advisory_lock`` held on a dedicated connection for as long as we lead."""

    def __init__(self, conninfo: str, schema: str, *, poll_interval: float = 0.5) -> None:
        self.conninfo = conninfo
        self.schema = schema
        self.key = lock_key(schema)
        self.poll_interval = poll_interval
        self._conn: psycopg.Connection[Any] | None = None

    def _try_acquire(self) -> bool:
        """Try the advisory lock once, on a connection kept for as long as we hold it."""
        conn = psycopg.connect(
            self.conninfo, autocommit=True, connect_timeout=5,
            application_name=f"{APPLICATION_NAME} {socket.gethostname()}:{os.getpid()}",
        )
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        if row is not None and row[0]:
            self._conn = conn
            return True
        conn.close()
        return False

    def is_held(self) -> bool:
        """True while we hold the lock's connection."""
        return self._conn is not None

    def keep_alive(self) -> bool:
        """Ask the server whether our session still holds the lock (a lost connection loses it)."""
        if self._conn is None:
            return False
        try:
            row = self._conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid()"
            ).fetchone()
        except psycopg.Error:
            self._drop()
            return False
        if row is None or row[0] == 0:
            self._drop()
            return False
        return True

    def release(self) -> None:
        """Unlock and close the connection."""
        if self._conn is None:
            return
        # If the connection is gone, so is the lock: nothing to unlock.
        with contextlib.suppress(psycopg.Error):
            self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        self._drop()

    def holder(self) -> LockHolder | None:
        """The holding session: host and pid from its application name, and when it started."""
        with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT a.application_name, a.backend_start FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                "AND l.granted AND l.classid = %s AND l.objid = %s",
                ((self.key >> 32) & 0xFFFFFFFF, self.key & 0xFFFFFFFF),
            ).fetchone()
        if row is None:
            return None
        name, started = row
        host, _, pid = name.removeprefix(APPLICATION_NAME).strip().rpartition(":")
        return LockHolder(host=host or None, pid=int(pid) if pid.isdigit() else None, since=started)

    def describe(self) -> str:
        """Which lock, for people."""
        return f"PostgreSQL advisory lock {self.key} (schema {self.schema})"

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()
