"""SQLite files for the views: one file per view, WAL, a connection per thread."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from adapters.driven.sql.sqlite import ThreadConnections
from projections.store import Cursor, ViewStore

#: Page cache of the connection that writes (a view's indexes stay in memory while it
#: catches up); reading connections keep SQLite's small default and share the mmap.
WRITER_CACHE_KIB = 64 * 1024
MMAP_BYTES = 256 * 1024 * 1024
#: Checkpoint the WAL every ~40 MB rather than every 4 MB: each checkpoint syncs the file.
WAL_AUTOCHECKPOINT_PAGES = 10_000


class SQLiteViewStore(ViewStore):
    """A view in its own SQLite file (eventsourcing's tables are not prefixed)."""

    def __init__(self, path: Path, *, lock_timeout: float = 10.0) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self._writers: set[int] = set()
        #: Counts this store's own transactions (and closes): see :meth:`change_token`.
        self._generation = 0
        self._write_lock = threading.Lock()
        # Rows and position commit together, so a lost tail after power loss is simply
        # replayed: NORMAL is safe here and spares FULL's sync of the WAL on every commit
        # (docs/performance.md).
        self._files = ThreadConnections(path, lock_timeout=lock_timeout, pragmas=[
            "synchronous=NORMAL", f"mmap_size={MMAP_BYTES}", "temp_store=MEMORY",
            f"wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}",
        ])

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with self._write_lock:
            conn = self._files.get()
            if id(conn) not in self._writers:
                conn.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
                self._writers.add(id(conn))
            try:
                with self._files.write(conn) as cur:
                    yield cur
            finally:
                # Readers on this connection see no new data_version for its own writes.
                self._generation += 1

    @contextmanager
    def reader(self) -> Iterator[Cursor]:
        conn = self._files.get()
        conn.execute("BEGIN")  # one snapshot for every statement of the read
        try:
            yield conn.cursor()
        finally:
            conn.execute("COMMIT")

    def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        # In autocommit mode a lone statement is its own read transaction: the same
        # snapshot as BEGIN; SELECT; COMMIT without the two extra statements
        # (docs/performance.md).
        return self._files.get().execute(sql, params).fetchall()

    def change_token(self) -> Hashable:
        """This thread's connection, its ``PRAGMA data_version`` (changed by a commit of any
        other connection, in any process) and this store's own transactions (a
        connection's own commits leave its data_version alone). Cheap enough to ask before
        every cached answer (docs/performance.md)."""
        conn = self._files.get()
        (version,) = conn.execute("PRAGMA data_version").fetchone()
        return (self._generation, id(conn), version)

    def adapt_ddl(self, statement: str) -> str:
        """``BIGINT PRIMARY KEY`` becomes the rowid itself (one B-tree fewer per row)."""
        return statement.replace("BIGINT PRIMARY KEY", "INTEGER PRIMARY KEY")

    def drop_tables(self, tables: Sequence[str]) -> None:
        with self.transaction() as cur:
            for table in tables:
                cur.execute(f"DROP TABLE IF EXISTS {table}")

    def close(self) -> None:
        self._generation += 1  # a new connection may reuse a closed one's id
        self._files.close()
        self._writers.clear()
