"""The read models: case list, follow-up tasks, audit log.

Each folds a batch in memory and writes it with a few statements: one transaction per
batch, rows and tracking together. Statistics are queries over the first two views
(see ``projections.queries``), not a fourth copy of the same facts.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from domain.case import Case
from domain.mentor import Mentor
from projections.base import Batch, Projection
from projections.store import Cursor, chunks, iso
from projections.summaries import summarise


class CaseDirectory:
    """case id -> (school, class), remembered by a view in its own table, cached in memory."""

    def __init__(self, table: str, maxsize: int = 200_000) -> None:
        self.table = table
        self.maxsize = maxsize
        self._cache: OrderedDict[str, tuple[str, str | None]] = OrderedDict()

    def ddl(self) -> str:
        return (
            f"CREATE TABLE IF NOT EXISTS {self.table} ("
            "case_id TEXT PRIMARY KEY, school_id TEXT NOT NULL, class_name TEXT)"
        )

    def add(self, cur: Cursor, case_id: str, school_id: str, class_name: str | None) -> None:
        cur.execute(
            f"INSERT INTO {self.table} (case_id, school_id, class_name) VALUES (?, ?, ?)",
            (case_id, school_id, class_name),
        )
        self._remember(case_id, (school_id, class_name))

    def get(self, cur: Cursor, case_id: str) -> tuple[str, str | None]:
        found = self._cache.get(case_id)
        if found is None:
            cur.execute(
                f"SELECT school_id, class_name FROM {self.table} WHERE case_id = ?", (case_id,)
            )
            row = cur.fetchone()
            found = (row[0], row[1]) if row else ("", None)
            self._remember(case_id, found)
        else:
            self._cache.move_to_end(case_id)
        return found

    def _remember(self, case_id: str, value: tuple[str, str | None]) -> None:
        self._cache[case_id] = value
        if len(self._cache) > self.maxsize:
            self._cache.popitem(last=False)

    def reset(self) -> None:
        self._cache.clear()


# --------------------------------------------------------------------------- cases
CASE_COLUMNS = (
    "case_id", "school_id", "class_name", "state", "risk_level", "head_teacher_id",
    "mentor_id", "counselling_teacher_id", "workflow", "opened_at", "closed_at",
    "last_activity_at", "version", "open_tasks", "next_due_at", "next_due_kind",
)


class CasesView(Projection):
    """One row per case: where it stands and what is due next."""

    name = "cases"
    tables = ("cases",)

    def schema(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS cases ("
            "case_id TEXT PRIMARY KEY, school_id TEXT NOT NULL, class_name TEXT, "
            "state TEXT NOT NULL, risk_level TEXT NOT NULL, head_teacher_id TEXT NOT NULL, "
            "mentor_id TEXT, counselling_teacher_id TEXT, workflow TEXT NOT NULL, "
            "opened_at TEXT NOT NULL, closed_at TEXT, last_activity_at TEXT NOT NULL, "
            "version INTEGER NOT NULL, open_tasks TEXT NOT NULL, next_due_at TEXT, "
            "next_due_kind TEXT)",
            "CREATE INDEX IF NOT EXISTS cases_school_state ON cases (school_id, state, opened_at)",
            "CREATE INDEX IF NOT EXISTS cases_school_opened ON cases (school_id, opened_at)",
            "CREATE INDEX IF NOT EXISTS cases_mentor ON cases (mentor_id)",
            "CREATE INDEX IF NOT EXISTS cases_head_teacher ON cases (head_teacher_id)",
        ]

    def apply(self, cur: Cursor, batch: Batch) -> None:
        rows: dict[str, dict[str, Any]] = {}
        for _, event in batch:
            if not isinstance(event, Case.Event):
                continue
            case_id = str(event.originator_id)
            if isinstance(event, Case.Identified):
                row = rows[case_id] = _new_case_row(case_id, event)
            else:
                row = rows.get(case_id) or self._load(cur, case_id)
                rows[case_id] = row
                _fold_case(row, event)
            row["version"] = event.originator_version
            row["last_activity_at"] = max(row["last_activity_at"], iso(event.occurred_at))
        if not rows:
            return
        values = []
        for row in rows.values():
            tasks: dict[str, list[str]] = row["open_tasks"]
            soonest = min(tasks.values(), key=lambda t: t[1], default=None)
            row["next_due_kind"], row["next_due_at"] = soonest or (None, None)
            values.append(
                tuple(json.dumps(row[c]) if c == "open_tasks" else row[c] for c in CASE_COLUMNS)
            )
        cols = ", ".join(CASE_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in CASE_COLUMNS[1:])
        marks = ", ".join("?" for _ in CASE_COLUMNS)
        cur.executemany(
            f"INSERT INTO cases ({cols}) VALUES ({marks}) "
            f"ON CONFLICT (case_id) DO UPDATE SET {updates}",
            values,
        )

    @staticmethod
    def _load(cur: Cursor, case_id: str) -> dict[str, Any]:
        cur.execute(f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE case_id = ?", (case_id,))
        found = cur.fetchone()
        if found is None:
            raise LookupError(f"cases view has no case {case_id}: the log is out of order")
        row = dict(zip(CASE_COLUMNS, found, strict=True))
        row["open_tasks"] = json.loads(row["open_tasks"])
        return row


def _new_case_row(case_id: str, e: Case.Identified) -> dict[str, Any]:
    return {
        "case_id": case_id, "school_id": e.school_id, "class_name": e.child.class_name,
        "state": e.state, "risk_level": e.risk_level.value, "head_teacher_id": e.head_teacher_id,
        "mentor_id": None, "counselling_teacher_id": None, "workflow": str(e.workflow),
        "opened_at": iso(e.occurred_at), "closed_at": None, "last_activity_at": iso(e.occurred_at),
        "version": e.originator_version, "open_tasks": {},
    }


def _fold_case(row: dict[str, Any], e: Case.Event) -> None:
    state = getattr(e, "state", None)
    if isinstance(state, str):
        row["state"] = state
    match e:
        case Case.MentorPaired():
            row["mentor_id"] = e.mentor_id
        case Case.MentorReleased():
            row["mentor_id"] = None
        case Case.CounsellingHeld():
            row["counselling_teacher_id"] = e.counsellor_id
        case Case.Closed():
            row["closed_at"] = iso(e.occurred_at)
        case Case.Reopened():
            row["closed_at"] = None
        case Case.HeadTeacherAssigned():
            row["head_teacher_id"] = e.teacher_id
        case Case.RiskLevelChanged():
            row["risk_level"] = e.level.value
        case Case.FollowUpScheduled():
            row["open_tasks"][str(e.follow_up_id)] = [e.kind, iso(e.due_at)]
        case Case.FollowUpCompleted() | Case.FollowUpCancelled():
            row["open_tasks"].pop(str(e.follow_up_id), None)


# --------------------------------------------------------------------------- follow-ups
TASK_COLUMNS = (
    "follow_up_id", "case_id", "school_id", "class_name", "kind", "rule_id", "assignee_role",
    "assignee_id", "due_at", "status", "escalation_level", "scheduled_at", "closed_at",
    "completed_by",
)


class FollowUpsView(Projection):
    """One row per follow-up task, indexed for overdue and my-task queries."""

    name = "follow_ups"
    tables = ("follow_ups", "follow_up_cases")

    def __init__(self) -> None:
        self.directory = CaseDirectory("follow_up_cases")

    def schema(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS follow_ups ("
            "follow_up_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, school_id TEXT NOT NULL, "
            "class_name TEXT, kind TEXT NOT NULL, rule_id TEXT NOT NULL, "
            "assignee_role TEXT NOT NULL, assignee_id TEXT, due_at TEXT NOT NULL, "
            "status TEXT NOT NULL, escalation_level INTEGER NOT NULL, scheduled_at TEXT NOT NULL, "
            "closed_at TEXT, completed_by TEXT)",
            # Overdue by school, counts per assignee (covering), and time-window stats.
            "CREATE INDEX IF NOT EXISTS fu_school_status_due "
            "ON follow_ups (school_id, status, due_at, follow_up_id)",
            "CREATE INDEX IF NOT EXISTS fu_school_status_assignee "
            "ON follow_ups (school_id, status, assignee_id, kind, due_at)",
            "CREATE INDEX IF NOT EXISTS fu_assignee_status_due "
            "ON follow_ups (assignee_id, status, due_at, follow_up_id)",
            "CREATE INDEX IF NOT EXISTS fu_kind_status_due "
            "ON follow_ups (kind, status, due_at, follow_up_id)",
            "CREATE INDEX IF NOT EXISTS fu_status_due ON follow_ups (status, due_at, follow_up_id)",
            "CREATE INDEX IF NOT EXISTS fu_school_closed ON follow_ups (school_id, closed_at)",
            "CREATE INDEX IF NOT EXISTS fu_case ON follow_ups (case_id)",
            self.directory.ddl(),
        ]

    def apply(self, cur: Cursor, batch: Batch) -> None:
        new: dict[str, dict[str, Any]] = {}
        for _, e in batch:
            match e:
                case Case.Identified():
                    self.directory.add(cur, str(e.originator_id), e.school_id, e.child.class_name)
                case Case.FollowUpScheduled():
                    school_id, class_name = self.directory.get(cur, str(e.originator_id))
                    new[str(e.follow_up_id)] = {
                        "follow_up_id": str(e.follow_up_id), "case_id": str(e.originator_id),
                        "school_id": school_id, "class_name": class_name, "kind": e.kind,
                        "rule_id": e.rule_id, "assignee_role": e.assignee_role.value,
                        "assignee_id": e.assignee_id, "due_at": iso(e.due_at), "status": "open",
                        "escalation_level": 0, "scheduled_at": iso(e.occurred_at),
                        "closed_at": None, "completed_by": None,
                    }
                case Case.FollowUpCompleted():
                    self._change(cur, new, e.follow_up_id, status="done",
                                 closed_at=iso(e.occurred_at), completed_by=e.completed_by)
                case Case.FollowUpCancelled():
                    self._change(cur, new, e.follow_up_id, status="cancelled",
                                 closed_at=iso(e.occurred_at))
                case Case.FollowUpReassigned():
                    self._change(cur, new, e.follow_up_id, assignee_id=e.assignee_id)
                case Case.FollowUpEscalated():
                    self._change(cur, new, e.follow_up_id, escalation_level=e.level)
        if new:
            cur.executemany(
                f"INSERT INTO follow_ups ({', '.join(TASK_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in TASK_COLUMNS)})",
                [tuple(row[c] for c in TASK_COLUMNS) for row in new.values()],
            )

    @staticmethod
    def _change(cur: Cursor, new: dict[str, dict[str, Any]], follow_up_id: Any, **values: Any) -> None:
        key = str(follow_up_id)
        if key in new:  # scheduled in this batch: not in the table yet
            new[key].update(values)
            return
        sets = ", ".join(f"{c} = ?" for c in values)
        cur.execute(f"UPDATE follow_ups SET {sets} WHERE follow_up_id = ?", (*values.values(), key))

    def reset(self) -> None:
        self.directory.reset()


# --------------------------------------------------------------------------- audit log
AUDIT_COLUMNS = (
    "position", "case_id", "school_id", "aggregate_version", "event_type", "actor_id",
    "actor_role", "occurred_at", "recorded_at", "command_id", "summary",
)


class AuditLogView(Projection):
    """One row per event: who did what to which case, when it happened and when recorded."""

    name = "audit_log"
    tables = ("audit_log", "audit_cases")

    def __init__(self) -> None:
        self.directory = CaseDirectory("audit_cases")

    def schema(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS audit_log ("
            "position BIGINT PRIMARY KEY, case_id TEXT, school_id TEXT, "
            "aggregate_version INTEGER NOT NULL, event_type TEXT NOT NULL, actor_id TEXT NOT NULL, "
            "actor_role TEXT NOT NULL, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL, "
            "command_id TEXT NOT NULL, summary TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS audit_case ON audit_log (case_id, position)",
            "CREATE INDEX IF NOT EXISTS audit_actor ON audit_log (actor_id, position)",
            "CREATE INDEX IF NOT EXISTS audit_school ON audit_log (school_id, position)",
            "CREATE INDEX IF NOT EXISTS audit_recorded ON audit_log (recorded_at)",
            self.directory.ddl(),
        ]

    def apply(self, cur: Cursor, batch: Batch) -> None:
        rows = []
        for position, e in batch:
            if isinstance(e, Case.Identified):
                self.directory.add(cur, str(e.originator_id), e.school_id, e.child.class_name)
            if isinstance(e, Case.Event):
                case_id: str | None = str(e.originator_id)
            elif isinstance(e, Mentor.ChildAssigned | Mentor.ChildReleased):
                case_id = str(e.case_id)
            else:
                case_id = None
            school_id = self.directory.get(cur, case_id)[0] if case_id else None
            rows.append((
                position, case_id, school_id or None, e.originator_version, type(e).__name__,
                e.actor.user_id, e.actor.role.value, iso(e.occurred_at), iso(e.timestamp),
                str(e.command_id), summarise(e),
            ))
        for part in chunks(rows, 1000):
            cur.executemany(
                f"INSERT INTO audit_log ({', '.join(AUDIT_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in AUDIT_COLUMNS)})",
                part,
            )

    def reset(self) -> None:
        self.directory.reset()


def all_views() -> list[Projection]:
    """A fresh instance of every view, in the order they are built."""
    return [CasesView(), FollowUpsView(), AuditLogView()]
