"""Helpers for the view tests: gaps in the log, positions, a crash-test event store."""

from __future__ import annotations

import sqlite3
from typing import Any

from adapters.bootstrap import Caretrail


def leave_gap(ct: Caretrail, size: int) -> int:
    """Make the next save's notification id jump by ``size``; return the id it will get.

    PostgreSQL leaves gaps whenever an insert rolls back (its sequence moved on);
    SQLite gives the next rowid, so a placeholder row is put at the far end of the gap
    and :func:`close_gap` removes it once a real event follows it.
    """
    recorder: Any = ct.cases.recorder
    head = recorder.max_notification_id() or 0
    if ct.settings.is_postgres:
        import psycopg

        table = f'"{recorder.datastore.schema}".{recorder.events_table_name}'
        assert ct.settings.database_url is not None
        with psycopg.connect(ct.settings.database_url, autocommit=True) as conn:
            conn.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s)",
                (table, head + size),
            )
        return head + size + 1
    with sqlite3.connect(ct.settings.sqlite_dir / "events.sqlite") as conn:
        conn.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, 'gap', 1, 'gap', x'')",
            (head + size,),
        )
    conn.close()
    return head + size + 1


def close_gap(ct: Caretrail) -> None:
    """Remove SQLite's placeholder row (nothing to do on PostgreSQL)."""
    if ct.settings.is_postgres:
        return
    with sqlite3.connect(ct.settings.sqlite_dir / "events.sqlite") as conn:
        conn.execute("DELETE FROM stored_events WHERE originator_id = 'gap'")
    conn.close()


def positions(ct: Caretrail) -> dict[str, int]:
    """Each view's tracking position."""
    return {s.name: s.position for s in ct.runner.status()}
