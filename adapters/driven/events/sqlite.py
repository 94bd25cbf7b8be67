"""eventsourcing's SQLite store with a statement cache worth the name.

eventsourcing 9.5.6 opens its SQLite connections with ``cached_statements=True``, which
Python reads as a cache of one statement: every command's read and insert are compiled
again. This factory is the library's own, with connections that keep 128 statements.
Selected by ``PERSISTENCE_MODULE=adapters.driven.events.sqlite:Factory``.

This is the one place caretrail overrides a private method of a library
(``SQLiteConnectionPool._create_connection``): the library offers no public way to set
the statement cache, and without it the engine falls below half of bare eventsourcing
(docs/performance.md, engine). ``tests/integration/test_library_seams.py`` fails when the
library's method changes underneath; then mirror the change here, or drop this module if
the library has learnt to keep statements.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from eventsourcing.persistence import InterfaceError
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteFactory,
)

STATEMENT_CACHE = 128
#: The library whose ``_create_connection`` this mirrors (but for the statement cache).
CHECKED_EVENTSOURCING = "9.5.6"
#: SHA-256 of the source of that method in that version.
CHECKED_SOURCE = "4635cb356e9ae4ec242c34f322390bc2fa6057f53a2d3e1a1eb70bc114921101"


class CachingConnectionPool(SQLiteConnectionPool):
    """The library's pool; its connections cache compiled statements."""

    def _create_connection(self) -> SQLiteConnection:
        try:
            conn = sqlite3.connect(
                database=self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,
                cached_statements=STATEMENT_CACHE,
                timeout=self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT,
            )
        except (sqlite3.Error, TypeError) as e:
            raise InterfaceError(e) from e
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            mode = conn.execute("PRAGMA journal_mode;").fetchone()[0]
            if mode.lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL;")
                self.journal_mode_was_changed_to_wal = True
            self.is_journal_mode_wal = True
        conn.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=conn, max_age=self.max_age)


class Factory(SQLiteFactory):
    """``eventsourcing.sqlite``'s factory with :class:`CachingConnectionPool`."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        old = self.datastore.pool
        # No connection was made yet: swap the pool for one with the same settings.
        self.datastore.pool = CachingConnectionPool(
            db_name=old.db_name, lock_timeout=old.lock_timeout, pool_size=old.pool_size,
            max_overflow=old.max_overflow, pool_timeout=old.pool_timeout, max_age=old.max_age,
            pre_ping=old.pre_ping,
        )
        old.close()
