"""The ``audit_log`` view: one row per event — who did what to which case, and when."""

from __future__ import annotations

from typing import Any

from domain.case import Case
from domain.mentor import Mentor
from projections.base import Batch, Projection
from projections.directory import CaseDirectory
from projections.reports import EVENTS_IN
from projections.store import Cursor, chunks, iso, uuid_text
from projections.summaries import summarise

AUDIT_COLUMNS = (
    "position", "case_id", "school_id", "aggregate_version", "event_type", "actor_id",
    "actor_role", "occurred_at", "recorded_at", "command_id", "summary",
)
_INSERT = (
    f"INSERT INTO audit_log ({', '.join(AUDIT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in AUDIT_COLUMNS)})"
)


class AuditLogView(Projection):
    """The cross-case log for auditors: position, case, school, type, actor, times, summary."""

    name = "audit_log"
    tables = ("audit_log", "audit_cases")
    rebuild_cost = 13.7

    def __init__(self) -> None:
        self.directory = CaseDirectory("audit_cases")

    def schema(self) -> list[str]:
        return [
            # The log position is the key (a rowid alias on SQLite: rows append in order).
            "CREATE TABLE IF NOT EXISTS audit_log ("
            "position BIGINT PRIMARY KEY, case_id TEXT, school_id TEXT, "
            "aggregate_version INTEGER NOT NULL, event_type TEXT NOT NULL, actor_id TEXT NOT NULL, "
            "actor_role TEXT NOT NULL, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL, "
            "command_id TEXT NOT NULL, summary TEXT NOT NULL)",
            self.directory.ddl(),
        ]

    def indexes(self) -> list[str]:
        return [
            "CREATE INDEX IF NOT EXISTS audit_case ON audit_log (case_id, position)",
            "CREATE INDEX IF NOT EXISTS audit_actor ON audit_log (actor_id, position)",
            "CREATE INDEX IF NOT EXISTS audit_school ON audit_log (school_id, position)",
            "CREATE INDEX IF NOT EXISTS audit_recorded ON audit_log (recorded_at)",
            # Erased cases (projections.retention): a row or so a case, ever.
            "CREATE INDEX IF NOT EXISTS audit_erased ON audit_log (case_id) "
            "WHERE event_type = 'Erased'",
            # Home visits per month of a school (the figures page): a few rows in a hundred.
            "CREATE INDEX IF NOT EXISTS audit_home_visits ON audit_log (school_id, occurred_at) "
            "WHERE event_type = 'HomeVisited'",
            # The reports' activity counts (projections.reports): the few kinds they count.
            "CREATE INDEX IF NOT EXISTS audit_report ON audit_log "
            f"(school_id, event_type, occurred_at, case_id, summary) WHERE {EVENTS_IN}",
        ]

    def apply(self, cur: Cursor, batch: Batch) -> None:
        directory = self.directory
        case_ids = [_case_of(e) for _, e in batch]
        directory.prefetch(cur, (c for c in case_ids if c is not None))
        rows = []
        for (position, e), case_id in zip(batch, case_ids, strict=True):
            if type(e) is Case.Identified:
                directory.add(case_id, e.school_id, e.child.class_name)
            actor = e.actor
            rows.append((
                position, case_id, directory.get(cur, case_id)[0] if case_id else None,
                e.originator_version, type(e).__name__, actor.user_id, str(actor.role),
                iso(e.occurred_at), iso(e.timestamp), uuid_text(e.command_id), summarise(e),
            ))
        directory.flush(cur)
        for part in chunks(rows, 5000):
            cur.executemany(_INSERT, part)

    def reset(self) -> None:
        self.directory.reset()


def _case_of(event: Any) -> str | None:
    """The case an event is about: its own aggregate, or the case a mentor took on or let go."""
    if isinstance(event, Case.Event):
        return uuid_text(event.originator_id)
    if isinstance(event, Mentor.ChildAssigned | Mentor.ChildReleased):
        return uuid_text(event.case_id)
    return None
