"""The auth store in one SQLite file (``<data_dir>/auth.sqlite``): WAL, a connection per thread."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar

from adapters.driven.auth.sql import SQLAuthStore
from adapters.driven.sql.sqlite import ThreadConnections


class SQLiteAuthStore(SQLAuthStore):
    """The auth tables (users, tokens, people's sessions...) in one SQLite file."""

    TYPES: ClassVar[dict[str, str]] = {"serial": "INTEGER PRIMARY KEY AUTOINCREMENT", "blob": "BLOB"}
    integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: Path, *, lock_timeout: float = 10.0) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        # The access log must survive a power cut once a read was answered.
        self._files = ThreadConnections(
            path, lock_timeout=lock_timeout, pragmas=["synchronous=FULL", "foreign_keys=ON"]
        )

    def _write(self) -> AbstractContextManager[sqlite3.Cursor]:
        return self._files.write()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._files.get().execute(sql, params).fetchall()

    def close(self) -> None:
        self._files.close()
