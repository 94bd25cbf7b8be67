"""The ``follow_ups`` view: one row per task, indexed for the overdue and my-task lists.

Most queries ask about open tasks, a small share of all tasks (most are done within
weeks), so their indexes are partial (``WHERE status = 'open'``): small, cheap to keep
up, and usable by both SQLite and PostgreSQL because the queries say ``status =
'open'`` literally.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from domain.case import Case
from projections.base import Batch, Projection
from projections.directory import CaseDirectory
from projections.store import Cursor, iso, uuid_text

TASK_COLUMNS = (
    "follow_up_id", "case_id", "school_id", "class_name", "kind", "rule_id", "assignee_role",
    "assignee_id", "due_at", "status", "escalation_level", "scheduled_at", "closed_at",
    "completed_by",
)
_INSERT = (
    f"INSERT INTO follow_ups ({', '.join(TASK_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in TASK_COLUMNS)})"
)
_AT = {column: i for i, column in enumerate(TASK_COLUMNS)}


class FollowUpsView(Projection):
    """One row per follow-up task: inserted when scheduled, updated as it changes.

    A batch's tasks and changes are merged in memory and written by :meth:`flush`: a task
    scheduled and closed within one batch is inserted closed, never updated.
    """

    name = "follow_ups"
    tables = ("follow_ups", "follow_up_cases")
    rebuild_cost = 10.4

    def __init__(self) -> None:
        self.directory = CaseDirectory("follow_up_cases")
        self._new: dict[str, list[Any]] = {}  # tasks scheduled in this batch, not yet in the table
        self._changes: dict[str, dict[str, Any]] = {}  # changes to tasks already in the table

    def schema(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS follow_ups ("
            "follow_up_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, school_id TEXT NOT NULL, "
            "class_name TEXT, kind TEXT NOT NULL, rule_id TEXT NOT NULL, "
            "assignee_role TEXT NOT NULL, assignee_id TEXT, due_at TEXT NOT NULL, "
            "status TEXT NOT NULL, escalation_level INTEGER NOT NULL, scheduled_at TEXT NOT NULL, "
            "closed_at TEXT, completed_by TEXT)",
            self.directory.ddl(),
        ]

    def indexes(self) -> list[str]:
        open_ = "WHERE status = 'open'"
        return [
            # Overdue / due soon / open lists of a school, soonest due first (keyset order);
            # also covers the overdue counts per assignee and kind and the school's stats
            # (SQLite 3.40 reads the table for ``status`` unless the index holds it).
            f"CREATE INDEX IF NOT EXISTS fu_open_school_due ON follow_ups "
            f"(school_id, due_at, follow_up_id, assignee_role, assignee_id, kind, status) {open_}",
            # My tasks: overdue and due within N days for one assignee.
            f"CREATE INDEX IF NOT EXISTS fu_open_assignee_due ON follow_ups "
            f"(assignee_id, due_at, follow_up_id) {open_}",
            # One kind across schools, and every open task by due date (the scheduler's sweep).
            f"CREATE INDEX IF NOT EXISTS fu_open_kind_due ON follow_ups "
            f"(kind, due_at, follow_up_id) {open_}",
            f"CREATE INDEX IF NOT EXISTS fu_status_due ON follow_ups (due_at, follow_up_id) {open_}",
            # Done and cancelled lists of a school; on-time completion over a period.
            "CREATE INDEX IF NOT EXISTS fu_closed_school_due ON follow_ups "
            "(school_id, status, due_at, follow_up_id) WHERE closed_at IS NOT NULL",
            "CREATE INDEX IF NOT EXISTS fu_done_school_closed ON follow_ups "
            "(school_id, closed_at, due_at) WHERE status = 'done'",
            # The reports' tasks done per kind and class (projections.reports): read in
            # group order, so no sort of every task done in a year (docs/performance.md).
            "CREATE INDEX IF NOT EXISTS fu_report_done ON follow_ups "
            "(school_id, kind, class_name, closed_at, due_at, status) WHERE status = 'done'",
            "CREATE INDEX IF NOT EXISTS fu_case ON follow_ups (case_id, due_at, follow_up_id)",
        ]

    def apply(self, cur: Cursor, batch: Batch) -> None:
        directory, new, changes = self.directory, self._new, self._changes
        directory.prefetch(cur, (
            uuid_text(e.originator_id) for _, e in batch if type(e) is Case.FollowUpScheduled
        ))
        for _, e in batch:
            cls = type(e)
            if cls is Case.FollowUpScheduled:
                case_id = uuid_text(e.originator_id)
                key = uuid_text(e.follow_up_id)
                school_id, class_name = directory.get(cur, case_id)
                new[key] = [
                    key, case_id, school_id or "", class_name, e.kind, e.rule_id,
                    str(e.assignee_role), e.assignee_id, iso(e.due_at), "open", 0,
                    iso(e.occurred_at), None, None,
                ]
                continue
            if cls is Case.FollowUpCompleted:
                values: dict[str, Any] = {
                    "status": "done", "closed_at": iso(e.occurred_at), "completed_by": e.completed_by,
                }
            elif cls is Case.FollowUpCancelled:
                values = {"status": "cancelled", "closed_at": iso(e.occurred_at)}
            elif cls is Case.FollowUpReassigned:
                values = {"assignee_id": e.assignee_id}
            elif cls is Case.FollowUpEscalated:
                values = {"escalation_level": e.level}
            elif cls is Case.Identified:
                directory.add(uuid_text(e.originator_id), e.school_id, e.child.class_name)
                continue
            elif (cls is Case.DetailsAmended and e.class_name is not None) or cls is Case.ClassMovedUp:
                self._move_class(cur, uuid_text(e.originator_id), e.class_name)
                continue
            else:
                continue
            key = uuid_text(e.follow_up_id)
            row = new.get(key)
            if row is not None:
                for column, value in values.items():
                    row[_AT[column]] = value
            else:
                changes.setdefault(key, {}).update(values)

    def _move_class(self, cur: Cursor, case_id: str, class_name: str) -> None:
        """The child moved class: their open tasks, and those opened from now on, are the
        new class's; done and cancelled tasks keep the class they were in."""
        self.directory.move(cur, case_id, class_name)
        for row in self._new.values():
            if row[_AT["case_id"]] == case_id and row[_AT["status"]] == "open":
                row[_AT["class_name"]] = class_name
        self.flush(cur)  # the tasks of earlier batches are rows: move the open ones there
        cur.execute(
            "UPDATE follow_ups SET class_name = ? WHERE case_id = ? AND status = 'open'",
            (class_name, case_id),
        )

    def flush(self, cur: Cursor) -> None:
        self.directory.flush(cur)
        if self._new:
            cur.executemany(_INSERT, list(self._new.values()))
        _update(cur, self._changes)
        self._new, self._changes = {}, {}

    def reset(self) -> None:
        self.directory.reset()
        self._new, self._changes = {}, {}


def _update(cur: Cursor, changes: dict[str, dict[str, Any]]) -> None:
    """One statement per set of changed columns (a task's changes are merged first).

    Changes to different columns commute, and one task's changes to one column were
    merged in log order, so grouping keeps the outcome of applying them one by one.
    """
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for key, values in changes.items():
        groups[tuple(values)].append((*values.values(), key))
    for columns, rows in groups.items():
        sets = ", ".join(f"{c} = ?" for c in columns)
        cur.executemany(f"UPDATE follow_ups SET {sets} WHERE follow_up_id = ?", rows)
