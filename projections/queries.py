"""Queries over the views: task lists, overdue summaries, case lists, audit log, figures.

Lists use keyset pagination (``projections.paging``): ``after`` is the opaque cursor of
the previous page's last row, so pages neither repeat nor skip rows while writes
continue. The types they return live in ``projections.rows`` and are importable from
here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from projections import figures, reports, retention
from projections.figures import KindOnTime
from projections.paging import keyset_page
from projections.rows import (
    MAX_PAGE,
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
from projections.task_cache import TaskListCache
from projections.task_filters import task_filters
from projections.views import AUDIT_COLUMNS, CASE_COLUMNS, TASK_COLUMNS

#: The page types of the lists, parametrized once: ``Page[TaskRow]`` looks the class up
#: again on every call (docs/performance.md, read models).
TaskPage = Page[TaskRow]
CasePage = Page[CaseRow]
AuditPage = Page[AuditRow]

__all__ = [
    "AuditRow",
    "BadCursor",
    "CaseRow",
    "KindOnTime",
    "KindStats",
    "OverdueCount",
    "Page",
    "ReadModels",
    "SchoolStats",
    "TaskRow",
    "TaskStatus",
    "days_overdue",
    "decode_cursor",
    "encode_cursor",
]


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
        class_name: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[TaskRow]:
        """Tasks by status, soonest (or most overdue) first."""
        where, params = task_filters(
            now=now, status=status, school_ids=school_ids, assignee_id=assignee_id,
            assignee_role=assignee_role, kind=kind, case_id=case_id,
            min_days_overdue=min_days_overdue, due_within_days=due_within_days, class_name=class_name,
        )
        return self._task_page(where, params, now, after, limit)

    def my_tasks(
        self,
        *,
        user_id: str,
        now: datetime,
        within_days: int = 7,
        role_tasks: tuple[str, Sequence[str]] | None = None,
        school_ids: Sequence[str] | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[TaskRow]:
        """Open tasks of one person that are overdue or due within ``within_days``.

        ``role_tasks`` (role, schools) adds the unassigned tasks of a role at those
        schools, such as a supervisor's mentor pairings and reviews. ``school_ids`` keeps
        only the tasks of cases of those schools (the person's own: a case of another
        school that names them shows nothing). Answered from :class:`TaskListCache` while
        it holds this exact answer (see there).
        """
        store = self.stores["follow_ups"]
        cache = self.task_list_cache
        token = store.change_token() if cache is not None else None
        if role_tasks is not None:
            role_tasks = (role_tasks[0], tuple(role_tasks[1]))
        schools = tuple(school_ids) if school_ids is not None else None
        key = (user_id, within_days, role_tasks, schools, after, limit)
        if cache is not None and token is not None:
            cached = cache.get(key, token, now)
            if cached is not None:
                return cached
        horizon = iso_once(now + timedelta(days=within_days))
        who = "assignee_id = ?"
        params: list[Any] = [user_id]
        if role_tasks is not None and role_tasks[1]:
            role = role_tasks[0]
            marks = ", ".join("?" for _ in role_tasks[1])
            who = f"({who} OR (assignee_id IS NULL AND assignee_role = ? AND school_id IN ({marks})))"
            params += [role, *role_tasks[1]]
        if schools is not None:
            marks = ", ".join("?" for _ in schools) or "NULL"
            who = f"({who} AND school_id IN ({marks}))"
            params += [*schools]
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
        return keyset_page(
            self.stores["follow_ups"], table="follow_ups", columns=TASK_COLUMNS,
            where=where, params=params, order_by=("due_at", "follow_up_id"),
            kinds=(datetime, str), after=after, limit=limit,
            to_item=lambda row: _task(row, now), page=TaskPage,
        )

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
        where: list[str] = []
        params: list[Any] = []
        if school_ids is not None:
            if not school_ids:
                return CasePage(items=[])
            where.append(f"school_id IN ({', '.join('?' for _ in school_ids)})")
            params += list(school_ids)
        for column, value in (("state", state), ("mentor_id", mentor_id),
                              ("head_teacher_id", head_teacher_id), ("risk_level", risk_level)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        return keyset_page(
            self.stores["cases"], table="cases", columns=CASE_COLUMNS, where=where,
            params=params, order_by=("opened_at", "case_id"), kinds=(datetime, str),
            after=after, limit=limit, to_item=_case, page=CasePage,
        )

    def case(self, case_id: str) -> CaseRow | None:
        """One case's row."""
        rows = self.stores["cases"].fetch_all(
            f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE case_id = ?", (case_id,)
        )
        return _case(rows[0]) if rows else None

    def overdue_by_class(self, *, school_ids: Sequence[str], now: datetime) -> list[tuple[str, int]]:
        """How many tasks are overdue in each class of these schools, most first (a case
        without a class under "")."""
        if not school_ids:
            return []
        marks = ", ".join("?" for _ in school_ids)
        rows = self.stores["follow_ups"].fetch_all(
            "SELECT COALESCE(class_name, ''), COUNT(*) FROM follow_ups "
            f"WHERE school_id IN ({marks}) AND status = 'open' AND due_at < ? "
            "GROUP BY COALESCE(class_name, '')",
            (*school_ids, iso_once(now)),
        )
        return sorted(((str(c), int(n)) for c, n in rows), key=lambda cn: (-cn[1], cn[0]))

    def mentor_loads(self, *, school_ids: Sequence[str]) -> dict[str, int]:
        """How many open cases each mentor of these schools mentors."""
        if not school_ids:
            return {}
        marks = ", ".join("?" for _ in school_ids)
        rows = self.stores["cases"].fetch_all(
            f"SELECT mentor_id, COUNT(*) FROM cases WHERE school_id IN ({marks}) "
            "AND mentor_id IS NOT NULL AND state <> 'closed' GROUP BY mentor_id",
            tuple(school_ids),
        )
        return {mentor: int(n) for mentor, n in rows}

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
                return AuditPage(items=[])
            where.append(f"school_id IN ({', '.join('?' for _ in school_ids)})")
            params += list(school_ids)
        if since is not None:
            where.append("recorded_at >= ?")
            params.append(iso_once(since))
        if until is not None:
            where.append("recorded_at < ?")
            params.append(iso_once(until))
        return keyset_page(
            self.stores["audit_log"], table="audit_log", columns=AUDIT_COLUMNS, where=where,
            params=params, order_by=("position",), kinds=(int,), after=after, limit=limit,
            to_item=_audit, page=AuditPage,
        )

    # ------------------------------------------------------------ figures
    def stats(
        self, *, school_id: str, now: datetime, since: datetime | None = None
    ) -> SchoolStats:
        """Cases per state, open/overdue tasks per kind, on-time completion since ``since``
        (a year before ``now`` unless given)."""
        return figures.school_stats(
            self.stores["cases"], self.stores["follow_ups"], school_id, now,
            since or now - timedelta(days=365),
        )

    def overdue_at(self, *, school_id: str, moments: Sequence[datetime]) -> list[int]:
        """How many of the school's tasks were overdue at each moment (figures page)."""
        return figures.overdue_at(self.stores["follow_ups"], school_id, moments)

    def on_time_by_kind(
        self, *, school_id: str, since: datetime, until: datetime
    ) -> list[KindOnTime]:
        """Tasks done in ``[since, until)`` per kind, and how many by their due time."""
        return figures.on_time_by_kind(self.stores["follow_ups"], school_id, since, until)

    def report(
        self, *, school_ids: Sequence[str], since: datetime, until: datetime, now: datetime
    ) -> reports.Report:
        """The report on these schools over ``[since, until)`` (``projections.reports``)."""
        return reports.report(self.stores, school_ids, since=since, until=until, now=now)

    def home_visits_between(self, *, school_id: str, bounds: Sequence[datetime]) -> list[int]:
        """Home visits that occurred in each period between consecutive ``bounds``."""
        return figures.home_visits_between(self.stores["audit_log"], school_id, bounds)

    def retention_due(self, *, closed_before: datetime, limit: int = 500) -> list[retention.RetentionItem]:
        """Cases closed before ``closed_before`` whose data is not erased yet, oldest first."""
        return retention.retention_due(self.stores, closed_before=closed_before, limit=limit)


def _at(text: str) -> datetime:
    moment = from_iso(text)
    assert moment is not None
    return moment


def _task(row: Sequence[Any], now: datetime) -> TaskRow:
    data = dict(zip(TASK_COLUMNS, row, strict=True))
    due = _at(data["due_at"])
    data["days_overdue"] = days_overdue(due, now) if data["status"] == "open" else 0
    # model_validate takes the dict as it is, where ``TaskRow(**data)`` copies it twice:
    # the difference adds up over every row of a page (docs/performance.md, read models).
    return TaskRow.model_validate(data)


def _case(row: Sequence[Any]) -> CaseRow:
    data = dict(zip(CASE_COLUMNS, row, strict=True))
    data.pop("open_tasks")
    return CaseRow.model_validate(data)


def _audit(row: Sequence[Any]) -> AuditRow:
    return AuditRow.model_validate(dict(zip(AUDIT_COLUMNS, row, strict=True)))
