"""The key store in its own SQLite file (``keys.sqlite`` beside the events, mode 0600)."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from adapters.driven.keys.port import KeyStore
from projections.store import Cursor


class SQLiteKeyStore(KeyStore):
    """Wrapped case keys in one SQLite file; ``":memory:"`` for a process of its own (tests)."""

    def __init__(self, path: Path | str, *, lock_timeout: int = 10) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Created 0600 before SQLite opens it (its -wal and -shm take the same mode).
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            self.path, timeout=lock_timeout, check_same_thread=False, isolation_level=None
        )
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")

    @contextmanager
    def _write(self) -> Iterator[Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def _query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(statement, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
