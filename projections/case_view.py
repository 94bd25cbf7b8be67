"""The ``cases`` view: one row per case — where it stands and what is due next."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from domain.case import Case
from projections.base import Batch, Projection
from projections.store import Cursor, chunks, iso, uuid_text

CASE_COLUMNS = (
    "case_id", "school_id", "class_name", "state", "risk_level", "head_teacher_id",
    "mentor_id", "counselling_teacher_id", "workflow", "opened_at", "closed_at",
    "last_activity_at", "version", "open_tasks", "next_due_at", "next_due_kind",
)
#: Set once by ``Identified``; an upsert never needs to touch them (nor their indexes).
#: The class is not among them: ``DetailsAmended`` changes it.
_FIXED = {"case_id", "school_id", "opened_at"}
_UPSERT = (
    f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in CASE_COLUMNS)}) ON CONFLICT (case_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in CASE_COLUMNS if c not in _FIXED)
)

Row = dict[str, Any]
Fold = Callable[[Row, Any], None]


class CasesView(Projection):
    """One row per case, folded in memory per batch and written with one upsert (by
    :meth:`flush`, once per batch however many parts it was applied in).

    Rows written by this runner stay cached between batches (the runner resets the
    view whenever another writer may have moved it), so a busy case is read from the
    table at most once.
    """

    name = "cases"
    tables = ("cases",)
    rebuild_cost = 5.6

    def __init__(self, maxsize: int = 200_000) -> None:
        self.maxsize = maxsize
        self._rows: dict[str, Row] = {}
        self._touched: dict[str, Row] = {}  # changed in this batch, written by flush

    def schema(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS cases ("
            "case_id TEXT PRIMARY KEY, school_id TEXT NOT NULL, class_name TEXT, "
            "state TEXT NOT NULL, risk_level TEXT NOT NULL, head_teacher_id TEXT NOT NULL, "
            "mentor_id TEXT, counselling_teacher_id TEXT, workflow TEXT NOT NULL, "
            "opened_at TEXT NOT NULL, closed_at TEXT, last_activity_at TEXT NOT NULL, "
            "version INTEGER NOT NULL, open_tasks TEXT NOT NULL, next_due_at TEXT, "
            "next_due_kind TEXT)",
        ]

    def indexes(self) -> list[str]:
        return [
            # Case lists by school (and state), oldest first, keyset on (opened_at, case_id).
            "CREATE INDEX IF NOT EXISTS cases_school_state ON cases (school_id, state, opened_at, case_id)",
            "CREATE INDEX IF NOT EXISTS cases_school_opened ON cases (school_id, opened_at, case_id)",
            "CREATE INDEX IF NOT EXISTS cases_mentor ON cases (mentor_id, opened_at, case_id)",
            "CREATE INDEX IF NOT EXISTS cases_head_teacher ON cases "
            "(head_teacher_id, opened_at, case_id)",
            # Retention (projections.retention): closed cases by the day they closed.
            "CREATE INDEX IF NOT EXISTS cases_closed ON cases (closed_at, case_id) "
            "WHERE closed_at IS NOT NULL",
        ]

    def apply(self, cur: Cursor, batch: Batch) -> None:
        rows, touched = self._rows, self._touched
        mine = [
            (fold, uuid_text(e.originator_id), e) for _, e in batch
            if (fold := _fold_for(type(e))) is not None
        ]
        # Rows this batch changes and this runner has not cached: a few queries, not one each.
        self._fetch(cur, list({c for f, c, _ in mine if f is not _identified and c not in rows}))
        for fold, case_id, event in mine:
            if fold is _identified:
                row = rows[case_id] = _new_row(case_id, event)
            else:
                row = rows.get(case_id) or self._load(cur, case_id)
                fold(row, event)
            touched[case_id] = row
            row["version"] = event.originator_version
            occurred = iso(event.occurred_at)
            if occurred > row["last_activity_at"]:
                row["last_activity_at"] = occurred

    def flush(self, cur: Cursor) -> None:
        if self._touched:
            cur.executemany(_UPSERT, [_values(row) for row in self._touched.values()])
            self._touched = {}
        if len(self._rows) > self.maxsize:
            self._rows.clear()  # only between batches: a touched row is never forgotten

    def reset(self) -> None:
        self._rows.clear()
        self._touched = {}

    def _fetch(self, cur: Cursor, case_ids: list[str]) -> None:
        for part in chunks(case_ids, 500):
            cur.execute(
                f"SELECT {', '.join(CASE_COLUMNS)} FROM cases "
                f"WHERE case_id IN ({', '.join('?' for _ in part)})",
                part,
            )
            for found in cur.fetchall():
                row = dict(zip(CASE_COLUMNS, found, strict=True))
                row["open_tasks"] = {k: tuple(v) for k, v in json.loads(row["open_tasks"]).items()}
                self._rows[row["case_id"]] = row

    def _load(self, cur: Cursor, case_id: str) -> Row:
        self._fetch(cur, [case_id])
        row = self._rows.get(case_id)
        if row is None:
            raise LookupError(f"cases view has no case {case_id}: the log is out of order")
        return row


def _values(row: Row) -> tuple[Any, ...]:
    tasks: dict[str, tuple[str, str]] = row["open_tasks"]
    soonest = min(tasks.values(), key=lambda t: t[1]) if tasks else (None, None)
    row["next_due_kind"], row["next_due_at"] = soonest
    return tuple(
        json.dumps(row[c], separators=(",", ":")) if c == "open_tasks" else row[c]
        for c in CASE_COLUMNS
    )


def _new_row(case_id: str, e: Case.Identified) -> Row:
    return {
        "case_id": case_id, "school_id": e.school_id, "class_name": e.child.class_name,
        "state": e.state, "risk_level": str(e.risk_level), "head_teacher_id": e.head_teacher_id,
        "mentor_id": None, "counselling_teacher_id": None, "workflow": str(e.workflow),
        "opened_at": iso(e.occurred_at), "closed_at": None, "last_activity_at": iso(e.occurred_at),
        "version": e.originator_version, "open_tasks": {},
    }


# --------------------------------------------------------------------------- folds
def _identified(row: Row, e: Any) -> None:  # a marker: the row is created instead
    raise AssertionError("Identified creates the row")


def _state(row: Row, e: Any) -> None:
    row["state"] = e.state


def _paired(row: Row, e: Case.MentorPaired) -> None:
    row["state"] = e.state
    row["mentor_id"] = e.mentor_id


def _released(row: Row, e: Case.MentorReleased) -> None:
    row["state"] = e.state
    row["mentor_id"] = None


def _counselled(row: Row, e: Case.CounsellingHeld) -> None:
    row["state"] = e.state
    row["counselling_teacher_id"] = e.counsellor_id


def _closed(row: Row, e: Case.Closed) -> None:
    row["state"] = e.state
    row["closed_at"] = iso(e.occurred_at)


def _reopened(row: Row, e: Case.Reopened) -> None:
    row["state"] = e.state
    row["closed_at"] = None


def _head_teacher(row: Row, e: Case.HeadTeacherAssigned) -> None:
    row["head_teacher_id"] = e.teacher_id


def _amended(row: Row, e: Case.DetailsAmended) -> None:
    if e.class_name is not None:
        row["class_name"] = e.class_name


def _moved_up(row: Row, e: Case.ClassMovedUp) -> None:
    row["class_name"] = e.class_name


def _upgraded(row: Row, e: Case.WorkflowUpgraded) -> None:
    row["workflow"] = str(e.to_workflow)


def _counsellor(row: Row, e: Case.CounsellingTeacherAssigned) -> None:
    row["counselling_teacher_id"] = e.teacher_id


def _risk(row: Row, e: Case.RiskLevelChanged) -> None:
    row["risk_level"] = str(e.level)


def _scheduled(row: Row, e: Case.FollowUpScheduled) -> None:
    row["open_tasks"][uuid_text(e.follow_up_id)] = (e.kind, iso(e.due_at))


def _closed_task(row: Row, e: Case.FollowUpCompleted | Case.FollowUpCancelled) -> None:
    row["open_tasks"].pop(uuid_text(e.follow_up_id), None)


def _nothing(row: Row, e: Any) -> None:
    """Events that change only the version and the last activity."""


_FOLDS: dict[type, Fold | None] = {
    Case.Identified: _identified,
    Case.HomeVisited: _state,
    Case.Reviewed: _state,
    Case.MentorPaired: _paired,
    Case.MentorReleased: _released,
    Case.CounsellingHeld: _counselled,
    Case.Closed: _closed,
    Case.Reopened: _reopened,
    Case.HeadTeacherAssigned: _head_teacher,
    Case.RiskLevelChanged: _risk,
    Case.DetailsAmended: _amended,
    Case.CounsellingTeacherAssigned: _counsellor,
    Case.ClassMovedUp: _moved_up,
    Case.WorkflowUpgraded: _upgraded,
    Case.FollowUpScheduled: _scheduled,
    Case.FollowUpCompleted: _closed_task,
    Case.FollowUpCancelled: _closed_task,
}


def _fold_for(cls: type) -> Fold | None:
    """The fold of an event class; any other case event still counts as activity."""
    try:
        return _FOLDS[cls]
    except KeyError:
        fold: Fold | None = None
        if issubclass(cls, Case.Event):
            fold = _state if "state" in getattr(cls, "model_fields", {}) else _nothing
        _FOLDS[cls] = fold
        return fold
