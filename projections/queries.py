"""Queries over the views: task lists, overdue summaries, case lists, audit log, stats.

Lists use keyset pagination: ``after`` is the opaque cursor of the previous page's last
row, so pages neither repeat nor skip rows while writes continue. The types they return
live in ``projections.rows`` and are importable from here too.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from projections.rows import (
    MAX_PAGE,
    ONE_DAY,
    AuditRow,
    BadCursor,
    CaseRow,
    KindStats,
    OverdueCount,
    Page,
    SchoolStats,
    TaskRow,
    TaskStatus,
    days_overdue,
    decode_cursor,
    encode_cursor,
)
from projections.store import ViewStore, from_iso, iso_once
from projections.views import AUDIT_COLUMNS, CASE_COLUMNS, TASK_COLUMNS

#: The page type of the task lists (parametrized once: ``Page[TaskRow]`` looks it up on
#: every call, ~1 µs).
TaskPage = Page[TaskRow]

__all__ = [
    "AuditRow",
    "BadCursor",
    "CaseRow",
    "KindStats",
    "OverdueCount",
    "Page",
    "ReadModels",
    "SchoolStats",
    "TaskListCache",
    "TaskRow",
    "TaskStatus",
    "days_overdue",
    "decode_cursor",
    "encode_cursor",
]


class TaskListCache:
    """Pages of "my tasks", each kept while it is exactly what the query would return.

    Teachers' task lists are read far more often than the views change. A page is
    answered again only if (1) the ``follow_ups`` store's change token is the one read
    before the page was queried (no transaction changed the view since, in this process
    or another; stores that cannot tell cheaply return no token and are never cached),
    and (2) ``now`` lies between the moment the page was computed and the first moment
    that could change it: a task's ``days_overdue`` turning over, or the first task
    beyond the horizon coming within it. Earlier ``now`` (a clock set back) is a miss.
    Entries are per caller and query; the cache is bounded by answers and by the rows they
    hold together (a page holds up to 100), and simply emptied when full.
    """

    def __init__(self, max_entries: int = 4096, max_rows: int = 20_000) -> None:
        self.max_entries = max_entries
        self.max_rows = max_rows
        self._pages: dict[Hashable, tuple[Hashable, datetime, datetime | None, Page[TaskRow]]] = {}
        self._rows = 0
        self._guard = threading.Lock()  # keeps the row count true when threads store at once

    def get(self, key: Hashable, token: Hashable, now: datetime) -> Page[TaskRow] | None:
        """The cached page if it is still the answer at ``now`` with the view at ``token``."""
        entry = self._pages.get(key)
        if entry is None:
            return None
        stored_token, since, until, page = entry
        if stored_token != token or now < since or (until is not None and now >= until):
            return None
        return page

    def put(self, key: Hashable, token: Hashable, now: datetime, page: Page[TaskRow],
            joins: datetime | None) -> None:
        """Keep ``page``, computed at ``now`` after ``token`` was read; ``joins`` is when
        the next task comes within the horizon (None: no task is waiting)."""
        until = joins
        for item in page.items:
            if item.status == "open":  # its days overdue turn over a whole day after due
                turns = item.due_at + (item.days_overdue + 1) * ONE_DAY
                until = turns if until is None else min(until, turns)
        rows = len(page.items)
        with self._guard:
            if len(self._pages) >= self.max_entries or self._rows + rows > self.max_rows:
                self._pages.clear()
                self._rows = 0
            replaced = self._pages.get(key)
            if replaced is not None:
                self._rows -= len(replaced[3].items)
            self._pages[key] = (token, now, until, page)
            self._rows += rows


class ReadModels:
    """The queries over the views, for the CLI, the API and the scheduler.

    ``task_list_cache`` answers repeated "my tasks" queries from memory while nothing
    they depend on changed (:class:`TaskListCache`); services pass one, tests and tools
    that want every query to reach the database leave it out.
    """

    def __init__(
        self, stores: Mapping[str, ViewStore], *, task_list_cache: TaskListCache | None = None
    ) -> None:
        self.stores = stores
        self.task_list_cache = task_list_cache

    # ------------------------------------------------------------ tasks
    def tasks(
        self,
        *,
        now: datetime,
        status: TaskStatus = TaskStatus.OPEN,
        school_ids: Sequence[str] | None = None,
        assignee_id: str | None = None,
        assignee_role: str | None = None,
        kind: str | None = None,
        case_id: str | None = None,
        min_days_overdue: int = 0,
        due_within_days: int | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[TaskRow]:
        """Tasks by status, soonest (or most overdue) first."""
        where, params = _task_filters(
            now=now, status=status, school_ids=school_ids, assignee_id=assignee_id,
            assignee_role=assignee_role, kind=kind, case_id=case_id,
            min_days_overdue=min_days_overdue, due_within_days=due_within_days,
        )
        return self._task_page(where, params, now, after, limit)

    def my_tasks(
        self,
        *,
        user_id: str,
        now: datetime,
        within_days: int = 7,
        role_tasks: tuple[str, Sequence[str]] | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[TaskRow]:
        """Open tasks of one person that are overdue or due within ``within_days``.

        ``role_tasks`` (role, schools) adds the unassigned tasks of a role at those
        schools, such as a supervisor's mentor pairings and reviews. Answered from
        :class:`TaskListCache` while it holds this exact answer (see there).
        """
        store = self.stores["follow_ups"]
        cache = self.task_list_cache
        token = store.change_token() if cache is not None else None
        if role_tasks is not None:
            role_tasks = (role_tasks[0], tuple(role_tasks[1]))
        key = (user_id, within_days, role_tasks, after, limit)
        if cache is not None and token is not None:
            cached = cache.get(key, token, now)
            if cached is not None:
                return cached
        horizon = iso_once(now + timedelta(days=within_days))
        who = "assignee_id = ?"
        params: list[Any] = [user_id]
        if role_tasks is not None and role_tasks[1]:
            role, schools = role_tasks
            marks = ", ".join("?" for _ in schools)
            who = f"({who} OR (assignee_id IS NULL AND assignee_role = ? AND school_id IN ({marks})))"
            params += [role, *schools]
        page = self._task_page([who, "status = 'open'", "due_at <= ?"], [*params, horizon], now,
                               after, limit)
        if cache is not None and token is not None:
            # The first task beyond the horizon joins the list when the horizon reaches it.
            rows = store.fetch_all(
                f"SELECT MIN(due_at) FROM follow_ups WHERE {who} AND status = 'open' "
                "AND due_at > ?", (*params, horizon),
            )
            joins = from_iso(rows[0][0]) if rows and rows[0][0] else None
            cache.put(key, token, now, page,
                      joins - timedelta(days=within_days) if joins is not None else None)
        return page

    def task(self, follow_up_id: str, now: datetime) -> TaskRow | None:
        """One task by id."""
        rows = self.stores["follow_ups"].fetch_all(
            f"SELECT {', '.join(TASK_COLUMNS)} FROM follow_ups WHERE follow_up_id = ?",
            (follow_up_id,),
        )
        return _task(rows[0], now) if rows else None

    def overdue_summary(
        self, *, school_ids: Sequence[str], now: datetime
    ) -> list[OverdueCount]:
        """Overdue counts per assignee and kind at the given schools."""
        if not school_ids:
            return []
        marks = ", ".join("?" for _ in school_ids)
        rows = self.stores["follow_ups"].fetch_all(
            "SELECT assignee_role, assignee_id, kind, COUNT(*), MIN(due_at) FROM follow_ups "
            f"WHERE school_id IN ({marks}) AND status = 'open' AND due_at < ? "
            "GROUP BY assignee_role, assignee_id, kind",
            (*school_ids, iso_once(now)),
        )
        counts = []
        for role, assignee, kind, count, oldest in rows:
            due = from_iso(oldest)
            assert due is not None
            counts.append(OverdueCount(
                assignee_role=role, assignee_id=assignee, kind=kind, count=count,
                oldest_due_at=due, max_days_overdue=days_overdue(due, now),
            ))
        counts.sort(key=lambda c: (-c.count, c.oldest_due_at))
        return counts

    def escalation_candidates(
        self,
        *,
        now: datetime,
        thresholds: Sequence[tuple[int, int]],
        after: str | None = None,
        limit: int = MAX_PAGE,
    ) -> Page[TaskRow]:
        """Open tasks, at every school, that may have reached an escalation rung.

        ``thresholds`` are (level, after_days) rungs: a task qualifies when it is below
        ``level`` and due at least ``after_days`` whole days before ``now`` for some
        rung (the case's own ladder decides; this is the superset). Oldest due first.
        """
        if not thresholds:
            return TaskPage(items=[])
        rungs = sorted(set(thresholds))
        earliest = min(days for _, days in rungs)
        where = [
            "status = 'open'",
            "due_at <= ?",
            "(" + " OR ".join("(escalation_level < ? AND due_at <= ?)" for _ in rungs) + ")",
        ]
        params: list[Any] = [iso_once(now - timedelta(days=earliest))]
        for level, days in rungs:
            params += [level, iso_once(now - timedelta(days=days))]
        return self._task_page(where, params, now, after, limit)

    def overdue_schools(self, *, now: datetime) -> list[str]:
        """Schools with at least one open task past due at ``now``."""
        rows = self.stores["follow_ups"].fetch_all(
            "SELECT DISTINCT school_id FROM follow_ups WHERE status = 'open' AND due_at < ? "
            "ORDER BY school_id",
            (iso_once(now),),
        )
        return [row[0] for row in rows]

    def _task_page(
        self, where: list[str], params: list[Any], now: datetime, after: str | None, limit: int
    ) -> Page[TaskRow]:
        limit = max(1, min(limit, MAX_PAGE))
        if after:
            due, key = decode_cursor(after, datetime, str)
            where = [*where, "(due_at > ? OR (due_at = ? AND follow_up_id > ?))"]
            params = [*params, due, due, key]
        sql = (
            f"SELECT {', '.join(TASK_COLUMNS)} FROM follow_ups WHERE {' AND '.join(where)} "
            "ORDER BY due_at, follow_up_id LIMIT ?"
        )
        rows = self.stores["follow_ups"].fetch_all(sql, (*params, limit + 1))
        items = [_task(r, now) for r in rows[:limit]]
        cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            cursor = encode_cursor(last[TASK_COLUMNS.index("due_at")], last[0])
        return TaskPage(items=items, next_cursor=cursor)

    # ------------------------------------------------------------ cases
    def cases(
        self,
        *,
        school_ids: Sequence[str] | None = None,
        state: str | None = None,
        mentor_id: str | None = None,
        head_teacher_id: str | None = None,
        risk_level: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[CaseRow]:
        """Cases, oldest first, filtered."""
        limit = max(1, min(limit, MAX_PAGE))
        where: list[str] = []
        params: list[Any] = []
        if school_ids is not None:
            if not school_ids:
                return Page[CaseRow](items=[])
            where.append(f"school_id IN ({', '.join('?' for _ in school_ids)})")
            params += list(school_ids)
        for column, value in (("state", state), ("mentor_id", mentor_id),
                              ("head_teacher_id", head_teacher_id), ("risk_level", risk_level)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if after:
            opened, key = decode_cursor(after, datetime, str)
            where.append("(opened_at > ? OR (opened_at = ? AND case_id > ?))")
            params += [opened, opened, key]
        sql = f"SELECT {', '.join(CASE_COLUMNS)} FROM cases"
        if where:
            sql += f" WHERE {' AND '.join(where)}"
        sql += " ORDER BY opened_at, case_id LIMIT ?"
        rows = self.stores["cases"].fetch_all(sql, (*params, limit + 1))
        items = [_case(r) for r in rows[:limit]]
        cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            cursor = encode_cursor(last[CASE_COLUMNS.index("opened_at")], last[0])
        return Page[CaseRow](items=items, next_cursor=cursor)

    def case(self, case_id: str) -> CaseRow | None:
        """One case's row."""
        rows = self.stores["cases"].fetch_all(
            f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE case_id = ?", (case_id,)
        )
        return _case(rows[0]) if rows else None

    # ------------------------------------------------------------ audit
    def audit_events(
        self,
        *,
        case_id: str | None = None,
        actor_id: str | None = None,
        school_ids: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[AuditRow]:
        """Events in log order, filtered by case, actor, schools and recorded time."""
        limit = max(1, min(limit, MAX_PAGE))
        where: list[str] = []
        params: list[Any] = []
        if case_id is not None:
            where.append("case_id = ?")
            params.append(case_id)
        if actor_id is not None:
            where.append("actor_id = ?")
            params.append(actor_id)
        if school_ids is not None:
            if not school_ids:
                return Page[AuditRow](items=[])
            where.append(f"school_id IN ({', '.join('?' for _ in school_ids)})")
            params += list(school_ids)
        if since is not None:
            where.append("recorded_at >= ?")
            params.append(iso_once(since))
        if until is not None:
            where.append("recorded_at < ?")
            params.append(iso_once(until))
        if after:
            (position,) = decode_cursor(after, int)
            where.append("position > ?")
            params.append(int(position))
        sql = f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log"
        if where:
            sql += f" WHERE {' AND '.join(where)}"
        sql += " ORDER BY position LIMIT ?"
        rows = self.stores["audit_log"].fetch_all(sql, (*params, limit + 1))
        items = [AuditRow.model_validate(dict(zip(AUDIT_COLUMNS, r, strict=True))) for r in rows[:limit]]
        cursor = encode_cursor(rows[limit - 1][0]) if len(rows) > limit else None
        return Page[AuditRow](items=items, next_cursor=cursor)

    # ------------------------------------------------------------ stats
    def stats(
        self, *, school_id: str, now: datetime, since: datetime | None = None
    ) -> SchoolStats:
        """Cases per state, open/overdue tasks per kind, on-time completion since ``since``."""
        since = since or now - timedelta(days=365)
        with self.stores["cases"].reader() as cur:
            cur.execute(
                "SELECT state, COUNT(*) FROM cases WHERE school_id = ? GROUP BY state", (school_id,)
            )
            by_state = {state: n for state, n in cur.fetchall()}
        with self.stores["follow_ups"].reader() as cur:
            cur.execute(
                "SELECT kind, COUNT(*), SUM(CASE WHEN due_at < ? THEN 1 ELSE 0 END) "
                "FROM follow_ups WHERE school_id = ? AND status = 'open' GROUP BY kind ORDER BY kind",
                (iso_once(now), school_id),
            )
            kinds = [KindStats(kind=k, open=o, overdue=int(d or 0)) for k, o, d in cur.fetchall()]
            cur.execute(
                "SELECT SUM(CASE WHEN closed_at <= due_at THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN closed_at > due_at THEN 1 ELSE 0 END) FROM follow_ups "
                "WHERE school_id = ? AND closed_at >= ? AND closed_at < ? AND status = 'done'",
                (school_id, iso_once(since), iso_once(now)),
            )
            on_time, late = (int(v or 0) for v in cur.fetchone())
            cur.execute(
                "SELECT due_at FROM follow_ups WHERE school_id = ? AND status = 'open' "
                "AND due_at < ?",
                (school_id, iso_once(now)),
            )
            overdue_days = [(now - _at(r[0])) / ONE_DAY for r in cur.fetchall()]
        done = on_time + late
        return SchoolStats(
            school_id=school_id,
            cases_by_state=by_state,
            tasks_by_kind=kinds,
            completed_on_time=on_time,
            completed_late=late,
            on_time_rate=round(on_time / done, 4) if done else None,
            mean_days_overdue=(
                round(sum(overdue_days) / len(overdue_days), 2) if overdue_days else None
            ),
            period_from=since,
            period_to=now,
        )


def _task_filters(
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
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if school_ids is not None:
        if not school_ids:
            where.append("1 = 0")
        else:
            where.append(f"school_id IN ({', '.join('?' for _ in school_ids)})")
            params += list(school_ids)
    for column, value in (("assignee_id", assignee_id), ("assignee_role", assignee_role),
                          ("kind", kind), ("case_id", case_id)):
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


def _at(text: str) -> datetime:
    moment = from_iso(text)
    assert moment is not None
    return moment


def _task(row: Sequence[Any], now: datetime) -> TaskRow:
    data = dict(zip(TASK_COLUMNS, row, strict=True))
    due = _at(data["due_at"])
    data["days_overdue"] = days_overdue(due, now) if data["status"] == "open" else 0
    # model_validate takes the dict as it is (``TaskRow(**data)`` copies it twice): ~0.4 µs
    # of each row, 20 µs of a page of 50.
    return TaskRow.model_validate(data)


def _case(row: Sequence[Any]) -> CaseRow:
    data = dict(zip(CASE_COLUMNS, row, strict=True))
    data.pop("open_tasks")
    return CaseRow.model_validate(data)
