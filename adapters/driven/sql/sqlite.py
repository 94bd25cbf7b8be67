"""SQLite files shared by threads: a WAL connection per thread, write transactions, close-all.

Used by the view stores and the auth store (the event store is eventsourcing's own).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from adapters.driven.files import private_file


class ThreadConnections:
    """One autocommit connection per thread to one SQLite file in WAL mode.

    ``pragmas`` run on every new connection after ``journal_mode=WAL`` (durability and
    cache choices differ per file). :meth:`close` closes every thread's connection.
    """

    def __init__(self, path: Path, *, lock_timeout: float, pragmas: Sequence[str] = ()) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self.pragmas = tuple(pragmas)
        private_file(path)  # 0600, and so its -wal and -shm files
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()

    def get(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=self.lock_timeout
            )
            conn.execute("PRAGMA journal_mode=WAL")
            for pragma in self.pragmas:
                conn.execute(f"PRAGMA {pragma}")
            self._local.conn = conn
            with self._guard:
                self._connections.append(conn)
        return conn

    @contextmanager
    def write(self, conn: sqlite3.Connection | None = None) -> Iterator[sqlite3.Cursor]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` on this thread's connection; rolled back on error."""
        conn = conn or self.get()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn.cursor()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection; the next :meth:`get` opens a new one."""
        with self._guard:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
