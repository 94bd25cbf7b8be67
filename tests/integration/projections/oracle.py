"""An independent fold of the event log into the rows the views should hold.

Written from the issue's description of the views, not from ``projections``: it shares
no code with them, so a bug in a view's fold shows up as a difference.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from domain.case import Case
from projections.store import ViewStore

#: Each view's table, its key, and the columns the issue asks for (audit summaries are
#: checked on their own: they are prose).
COLUMNS = {
    "cases": ("case_id", (
        "case_id", "school_id", "class_name", "state", "risk_level", "head_teacher_id",
        "mentor_id", "counselling_teacher_id", "workflow", "opened_at", "closed_at",
        "last_activity_at", "version", "open_tasks", "next_due_at", "next_due_kind",
    )),
    "follow_ups": ("follow_up_id", (
        "follow_up_id", "case_id", "school_id", "class_name", "kind", "rule_id",
        "assignee_role", "assignee_id", "due_at", "status", "escalation_level",
        "scheduled_at", "closed_at", "completed_by",
    )),
    "audit_log": ("position", (
        "position", "case_id", "school_id", "aggregate_version", "event_type", "actor_id",
        "actor_role", "occurred_at", "recorded_at", "command_id",
    )),
}


def text(moment: datetime | None) -> str | None:
    """The stored form of a time: UTC, microseconds, fixed width."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def read_log(app: Any, batch: int = 5000) -> Iterator[tuple[int, Any]]:
    """(notification id, event) for the whole log, in order."""
    start = 0
    while True:
        notes = app.recorder.select_notifications(start=start, limit=batch, inclusive_of_start=False)
        if not notes:
            return
        for n in notes:
            yield n.id, app.mapper.to_domain_event(n)
        start = notes[-1].id


def fold(log: Iterator[tuple[int, Any]]) -> dict[str, dict[Any, dict[str, Any]]]:
    """The expected rows of every view, keyed like the tables."""
    cases: dict[str, dict[str, Any]] = {}
    tasks: dict[str, dict[str, Any]] = {}
    audit: dict[int, dict[str, Any]] = {}
    order: dict[str, int] = {}  # task id -> when scheduled, for ties in next due
    for position, e in log:
        name = type(e).__name__
        aggregate = str(e.originator_id)
        is_case = isinstance(e, Case.Event)
        about = aggregate if is_case else (str(e.case_id) if hasattr(e, "case_id") else None)
        if name == "Identified":
            cases[aggregate] = _opened_case(aggregate, e)
        audit[position] = _audit_row(position, e, about, cases)
        if not is_case:
            continue
        case = cases[aggregate]
        case["version"] = e.originator_version
        case["last_activity_at"] = max(case["last_activity_at"], text(e.occurred_at))
        if hasattr(e, "state"):
            case["state"] = e.state
        _fold_case_event(case, e)
        _fold_task_event(case, tasks, order, position, aggregate, e)
    for case in cases.values():
        soonest = sorted(case["open_tasks"].items(), key=lambda kv: (kv[1][1], order[kv[0]]))
        case["next_due_kind"], case["next_due_at"] = soonest[0][1] if soonest else (None, None)
    return {"cases": cases, "follow_ups": tasks, "audit_log": audit}


def _opened_case(aggregate: str, e: Any) -> dict[str, Any]:
    """A case's row as its first event opens it."""
    return {
        "case_id": aggregate, "school_id": e.school_id, "class_name": e.child.class_name,
        "state": e.state, "risk_level": e.risk_level.value,
        "head_teacher_id": e.head_teacher_id, "mentor_id": None,
        "counselling_teacher_id": None, "workflow": f"{e.workflow.name} v{e.workflow.version}",
        "opened_at": text(e.occurred_at), "closed_at": None,
        "last_activity_at": text(e.occurred_at), "version": 0, "open_tasks": {},
    }


def _audit_row(
    position: int, e: Any, about: str | None, cases: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The audit log's row of one event."""
    return {
        "position": position, "case_id": about,
        "school_id": cases[about]["school_id"] if about in cases else None,
        "aggregate_version": e.originator_version, "event_type": type(e).__name__,
        "actor_id": e.actor.user_id, "actor_role": e.actor.role.value,
        "occurred_at": text(e.occurred_at), "recorded_at": text(e.timestamp),
        "command_id": str(e.command_id),
    }


def _fold_case_event(case: dict[str, Any], e: Any) -> None:
    """What a case's event changes in the case's own columns."""
    name = type(e).__name__
    if name == "MentorPaired":
        case["mentor_id"] = e.mentor_id
    elif name == "MentorReleased":
        case["mentor_id"] = None
    elif name == "CounsellingHeld":
        case["counselling_teacher_id"] = e.counsellor_id
    elif name == "Closed":
        case["closed_at"] = text(e.occurred_at)
    elif name == "Reopened":
        case["closed_at"] = None
    elif name == "HeadTeacherAssigned":
        case["head_teacher_id"] = e.teacher_id
    elif name == "RiskLevelChanged":
        case["risk_level"] = e.level.value


def _fold_task_event(
    case: dict[str, Any], tasks: dict[str, dict[str, Any]], order: dict[str, int],
    position: int, aggregate: str, e: Any,
) -> None:
    """What a case's event does to its tasks (and to the case's open tasks)."""
    name = type(e).__name__
    if name == "FollowUpScheduled":
        key = str(e.follow_up_id)
        order[key] = position
        case["open_tasks"][key] = [e.kind, text(e.due_at)]
        tasks[key] = {
            "follow_up_id": key, "case_id": aggregate, "school_id": case["school_id"],
            "class_name": case["class_name"], "kind": e.kind, "rule_id": e.rule_id,
            "assignee_role": e.assignee_role.value, "assignee_id": e.assignee_id,
            "due_at": text(e.due_at), "status": "open", "escalation_level": 0,
            "scheduled_at": text(e.occurred_at), "closed_at": None, "completed_by": None,
        }
    elif name in ("FollowUpCompleted", "FollowUpCancelled"):
        key = str(e.follow_up_id)
        case["open_tasks"].pop(key, None)
        tasks[key]["status"] = "done" if name == "FollowUpCompleted" else "cancelled"
        tasks[key]["closed_at"] = text(e.occurred_at)
        if name == "FollowUpCompleted":
            tasks[key]["completed_by"] = e.completed_by
    elif name == "FollowUpReassigned":
        tasks[str(e.follow_up_id)]["assignee_id"] = e.assignee_id
    elif name == "FollowUpEscalated":
        tasks[str(e.follow_up_id)]["escalation_level"] = e.level


def dump(store: ViewStore, table: str, columns: str = "*", order_by: str = "1") -> list[tuple[Any, ...]]:
    """Every row of a view table, in key order."""
    with store.reader() as cur:
        cur.execute(f"SELECT {columns} FROM {table} ORDER BY {order_by}")
        return [tuple(row) for row in cur.fetchall()]


def views_as_rows(stores: dict[str, ViewStore]) -> dict[str, dict[Any, dict[str, Any]]]:
    """The views' rows in the oracle's shape (open tasks parsed from JSON)."""
    found: dict[str, dict[Any, dict[str, Any]]] = {}
    for table, (key, columns) in COLUMNS.items():
        rows = {}
        for values in dump(stores[table], table, ", ".join(columns), key):
            row = dict(zip(columns, values, strict=True))
            if table == "cases":
                row["open_tasks"] = json.loads(row["open_tasks"])
            rows[row[key]] = row
        found[table] = rows
    return found


def all_tables(stores: dict[str, ViewStore], tables: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """Every table of every view, row by row (to compare a view with its rebuild)."""
    return {table: dump(stores[view], table) for view, names in tables.items() for table in names}
