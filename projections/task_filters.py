"""Which follow-up rows a task list's filters mean, as SQL conditions.

Each status is written the way the follow-up view's partial indexes are declared
(``projections.follow_up_view``), so that the database can use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from projections.rows import TaskStatus
from projections.store import iso_once


def task_filters(
    *,
    now: datetime,
    status: TaskStatus,
    school_ids: Sequence[str] | None,
    assignee_id: str | None,
    assignee_role: str | None,
    kind: str | None,
    case_id: str | None,
    min_days_overdue: int,
    due_within_days: int | None,
    class_name: str | None = None,
) -> tuple[list[str], list[Any]]:
    """The WHERE conditions of a task list's filters, and their parameters."""
    where: list[str] = []
    params: list[Any] = []
    if school_ids is not None:
        if not school_ids:
            where.append("1 = 0")
        else:
            where.append(f"school_id IN ({', '.join('?' for _ in school_ids)})")
            params += list(school_ids)
    for column, value in (("assignee_id", assignee_id), ("assignee_role", assignee_role),
                          ("kind", kind), ("case_id", case_id), ("class_name", class_name)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    match status:
        case TaskStatus.DONE | TaskStatus.CANCELLED:
            # Literal status (a constant of the enum) and the closed-task index's own
            # condition, so both databases can use that partial index.
            where += [f"status = '{status.value}'", "closed_at IS NOT NULL"]
        case TaskStatus.OVERDUE:
            # Overdue: due before now. N whole days overdue: due at least N days before
            # now (inclusive, as days_overdue counts them).
            where += ["status = 'open'", "due_at < ?" if min_days_overdue == 0 else "due_at <= ?"]
            params.append(iso_once(now - timedelta(days=min_days_overdue)))
        case TaskStatus.DUE_SOON:
            where += ["status = 'open'", "due_at >= ?", "due_at <= ?"]
            params += [iso_once(now), iso_once(now + timedelta(days=due_within_days or 7))]
        case TaskStatus.OPEN:
            where.append("status = 'open'")
            if due_within_days is not None:
                where.append("due_at <= ?")
                params.append(iso_once(now + timedelta(days=due_within_days)))
    return where, params
