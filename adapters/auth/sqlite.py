"""The auth store in one SQLite file (``<data_dir>/auth.sqlite``): WAL, a connection per thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from adapters.auth.sql import SQLAuthStore


class SQLiteAuthStore(SQLAuthStore):
    """Users, tokens, access log and idempotent responses in one SQLite file."""

    TYPES: ClassVar[dict[str, str]] = {"serial": "INTEGER PRIMARY KEY AUTOINCREMENT", "blob": "BLOB"}
    integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: Path, *, lock_timeout: float = 10.0) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=self.lock_timeout
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # The access log must survive a power cut once a read was answered.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._guard:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn.cursor()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._connection().execute(sql, params).fetchall()

    def close(self) -> None:
        with self._guard:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
