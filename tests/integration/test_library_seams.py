"""The one private method of a library caretrail overrides is still the one it mirrors.

``adapters/driven/events/sqlite.py`` copies eventsourcing's
``SQLiteConnectionPool._create_connection`` but for the statement cache. These tests fail
when the library changes underneath (another version, another method body), and check
that the copy still does what the library's does.
"""

from __future__ import annotations

import hashlib
import inspect
import sqlite3
from importlib.metadata import version
from pathlib import Path

from eventsourcing.sqlite import SQLiteConnectionPool

from adapters.driven.events import sqlite as seam


def test_the_library_is_the_version_the_override_was_checked_against() -> None:
    assert version("eventsourcing") == seam.CHECKED_EVENTSOURCING


def test_the_librarys_method_is_the_one_the_override_mirrors() -> None:
    source = inspect.getsource(SQLiteConnectionPool._create_connection)
    assert hashlib.sha256(source.encode()).hexdigest() == seam.CHECKED_SOURCE, (
        "eventsourcing's _create_connection changed: mirror it in adapters/driven/events/sqlite.py"
    )


def test_the_overriding_pool_opens_connections_as_the_librarys_does(tmp_path: Path) -> None:
    ours = seam.CachingConnectionPool(db_name=str(tmp_path / "ours.sqlite"), lock_timeout=5)
    theirs = SQLiteConnectionPool(db_name=str(tmp_path / "theirs.sqlite"), lock_timeout=5)
    try:
        for pool in (ours, theirs):
            connection = pool.get_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("PRAGMA journal_mode")
                row = cursor.fetchone()
                assert isinstance(row, sqlite3.Row)  # the library reads columns by name
                assert row[0] == "wal"
            finally:
                pool.put_connection(connection)
        assert ours.is_journal_mode_wal
        assert theirs.is_journal_mode_wal
    finally:
        ours.close()
        theirs.close()
