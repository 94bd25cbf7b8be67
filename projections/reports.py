"""The report for the people who ask for one (a school's 德育主任, the county's education
bureau): per school and period, counts only, from the views with a few indexed queries.

A period is ``[since, until)`` in UTC; the caller picks it (by default the school term).
What a report counts:

- **children**: the cases followed in the period (opened before its end, not closed before
  its start), by their state and risk level *as they stand when the report is made* (the
  views keep a case's present, not its past: a report on last year says where those
  children are now); how many of them were opened and closed in the period;
- **activity**: home visits, mentor pairings (and children paired), counselling sessions,
  guardian and parent contacts, escalations of overdue tasks that *occurred* in the period
  (the time the teacher gave, such as a paper record's), from the audit log;
- **tasks**, by kind and by class: done in the period by their due time and late, and
  still overdue at the period's end (or now, for a period not over yet), counted as the
  figures page counts them.

No child's name or id is in a report: every row is a count of a school.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from projections.store import ViewStore, iso_once

#: Events a report counts; the partial index ``audit_report`` holds exactly these rows
#: (a query must repeat this list literally for SQLite and PostgreSQL to use it).
REPORT_EVENTS = ("HomeVisited", "MentorPaired", "CounsellingHeld", "ContactLogged",
                 "FollowUpEscalated")
EVENTS_IN = "event_type IN (" + ", ".join(f"'{e}'" for e in REPORT_EVENTS) + ")"


class SchoolSummary(BaseModel):
    """One school's children and activity in the period."""

    school_id: str
    children: int = 0
    opened: int = 0
    closed: int = 0
    home_visits: int = 0
    children_visited: int = 0
    children_paired: int = 0
    counselling_sessions: int = 0
    guardian_contacts: int = 0
    parent_contacts: int = 0
    mentor_talks: int = 0
    escalations: int = 0


class Count(BaseModel):
    """How many children of a school have one value (a state, a risk level)."""

    school_id: str
    key: str
    children: int


class TaskCounts(BaseModel):
    """A school's tasks of one kind (or class): done on time, done late, still overdue."""

    school_id: str
    key: str
    on_time: int = 0
    late: int = 0
    overdue: int = 0


class Report(BaseModel):
    """The report on some schools over ``[since, until)``, made at ``as_of``."""

    school_ids: list[str]
    since: datetime
    until: datetime
    as_of: datetime
    summary: list[SchoolSummary]
    by_state: list[Count]
    by_risk: list[Count]
    tasks_by_kind: list[TaskCounts]
    tasks_by_class: list[TaskCounts]

    def total(self) -> SchoolSummary:
        """Every school's summary added up (the county's line), ``school_id`` empty."""
        total = SchoolSummary(school_id="")
        for line in self.summary:
            for field, value in line.model_dump(exclude={"school_id"}).items():
                setattr(total, field, getattr(total, field) + value)
        return total


def report(
    stores: dict[str, ViewStore] | Any, school_ids: Sequence[str], *, since: datetime,
    until: datetime, now: datetime,
) -> Report:
    """The report on ``school_ids`` (in that order) over ``[since, until)``, made at ``now``."""
    schools = list(dict.fromkeys(school_ids))
    summary = {s: SchoolSummary(school_id=s) for s in schools}
    by_state: list[Count] = []
    by_risk: list[Count] = []
    if schools:
        _children(stores["cases"], schools, since, until, summary, by_state, by_risk)
        _activity(stores["audit_log"], schools, since, until, summary)
    kinds, classes = _tasks(stores["follow_ups"], schools, since, until, min(until, now))
    return Report(
        school_ids=schools, since=since, until=until, as_of=now, summary=list(summary.values()),
        by_state=by_state, by_risk=by_risk, tasks_by_kind=kinds, tasks_by_class=classes,
    )


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def _children(
    store: ViewStore, schools: list[str], since: datetime, until: datetime,
    summary: dict[str, SchoolSummary], by_state: list[Count], by_risk: list[Count],
) -> None:
    start, end = iso_once(since), iso_once(until)
    rows = store.fetch_all(
        "SELECT school_id, state, risk_level, COUNT(*), "
        "SUM(CASE WHEN opened_at >= ? THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN closed_at IS NOT NULL AND closed_at < ? THEN 1 ELSE 0 END) "
        f"FROM cases WHERE school_id IN ({_marks(schools)}) AND opened_at < ? "
        "AND (closed_at IS NULL OR closed_at >= ?) GROUP BY school_id, state, risk_level",
        (start, end, *schools, end, start),
    )
    states: dict[tuple[str, str], int] = defaultdict(int)
    risks: dict[tuple[str, str], int] = defaultdict(int)
    for school, state, risk, n, opened, closed in rows:
        line = summary[school]
        line.children += int(n)
        line.opened += int(opened or 0)
        line.closed += int(closed or 0)
        states[school, state] += int(n)
        risks[school, risk] += int(n)
    order = {s: i for i, s in enumerate(schools)}
    by_state += [Count(school_id=s, key=k, children=n)
                 for (s, k), n in sorted(states.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))]
    by_risk += [Count(school_id=s, key=k, children=n)
                for (s, k), n in sorted(risks.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))]


def _activity(
    store: ViewStore, schools: list[str], since: datetime, until: datetime,
    summary: dict[str, SchoolSummary],
) -> None:
    # Both read the covering index ``audit_report`` in its order (school, type): the counts
    # with no sort at all; a contact's party is only in its summary line ("contact with
    # guardian by phone"). Distinct children only where the report names them.
    where = (f"school_id IN ({_marks(schools)}) AND {EVENTS_IN} "
             "AND occurred_at >= ? AND occurred_at < ?")
    params = (*schools, iso_once(since), iso_once(until))
    parties = ", ".join(f"SUM(CASE WHEN summary LIKE 'contact with {p} %' THEN 1 ELSE 0 END)"
                        for p in ("guardian", "parent", "child"))
    counts = store.fetch_all(
        f"SELECT school_id, event_type, COUNT(*), {parties} FROM audit_log WHERE {where} "
        "GROUP BY school_id, event_type", params)
    for school, event_type, n, guardian, parent, child in counts:
        line, n = summary[school], int(n)
        if event_type == "HomeVisited":
            line.home_visits += n
        elif event_type == "CounsellingHeld":
            line.counselling_sessions += n
        elif event_type == "FollowUpEscalated":
            line.escalations += n
        elif event_type == "ContactLogged":
            line.guardian_contacts += int(guardian or 0)
            line.parent_contacts += int(parent or 0)
            line.mentor_talks += int(child or 0)
    children = store.fetch_all(
        f"SELECT school_id, event_type, COUNT(DISTINCT case_id) FROM audit_log WHERE {where} "
        "AND event_type IN ('HomeVisited', 'MentorPaired') GROUP BY school_id, event_type", params)
    for school, event_type, distinct in children:
        if event_type == "HomeVisited":
            summary[school].children_visited += int(distinct)
        else:
            summary[school].children_paired += int(distinct)


def _tasks(
    store: ViewStore, schools: list[str], since: datetime, until: datetime, moment: datetime,
) -> tuple[list[TaskCounts], list[TaskCounts]]:
    """Tasks done in the period (on time, late) and overdue at ``moment``, by kind and class."""
    if not schools:
        return [], []
    marks, at = _marks(schools), iso_once(moment)
    # Grouped in the order of the index ``fu_report_done``: no sort of every task done.
    done = store.fetch_all(
        "SELECT school_id, kind, class_name, "
        "SUM(CASE WHEN closed_at <= due_at THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN closed_at > due_at THEN 1 ELSE 0 END) FROM follow_ups "
        f"WHERE school_id IN ({marks}) AND status = 'done' AND closed_at >= ? AND closed_at < ? "
        "GROUP BY school_id, kind, class_name",
        (*schools, iso_once(since), iso_once(until)),
    )
    # Overdue at the moment: due before it, and open, or closed only after it.
    overdue = store.fetch_all(
        "SELECT school_id, kind, COALESCE(class_name, ''), COUNT(*) FROM follow_ups "
        f"WHERE school_id IN ({marks}) AND status = 'open' AND due_at < ? GROUP BY 1, 2, 3 "
        "UNION ALL SELECT school_id, kind, COALESCE(class_name, ''), COUNT(*) FROM follow_ups "
        f"WHERE school_id IN ({marks}) AND status = 'done' AND closed_at > ? AND due_at < ? "
        "GROUP BY 1, 2, 3 "
        "UNION ALL SELECT school_id, kind, COALESCE(class_name, ''), COUNT(*) FROM follow_ups "
        f"WHERE school_id IN ({marks}) AND status = 'cancelled' AND closed_at IS NOT NULL "
        "AND closed_at > ? AND due_at < ? GROUP BY 1, 2, 3",
        (*schools, at, *schools, at, at, *schools, at, at),
    )
    kinds: dict[tuple[str, str], TaskCounts] = {}
    classes: dict[tuple[str, str], TaskCounts] = {}
    for school, kind, class_name, on_time, late in done:
        for table, key in ((kinds, kind), (classes, class_name or "")):
            line = table.setdefault((school, key), TaskCounts(school_id=school, key=key))
            line.on_time += int(on_time or 0)
            line.late += int(late or 0)
    for school, kind, class_name, n in overdue:
        for table, key in ((kinds, kind), (classes, class_name)):
            line = table.setdefault((school, key), TaskCounts(school_id=school, key=key))
            line.overdue += int(n)
    order = {s: i for i, s in enumerate(schools)}

    def ordered(table: dict[tuple[str, str], TaskCounts]) -> list[TaskCounts]:
        return [table[k] for k in sorted(table, key=lambda k: (order[k[0]], k[1]))]

    return ordered(kinds), ordered(classes)


def followed_cases(
    store: ViewStore, school_ids: Sequence[str], *, since: datetime, until: datetime
) -> list[tuple[str, str, str | None, str, str]]:
    """The cases a report on ``[since, until)`` counts as followed: (case id, school, class,
    state, risk level), by school and class (a named list adds the names)."""
    schools = list(dict.fromkeys(school_ids))
    if not schools:
        return []
    rows = store.fetch_all(
        "SELECT case_id, school_id, class_name, state, risk_level FROM cases "
        f"WHERE school_id IN ({_marks(schools)}) AND opened_at < ? "
        "AND (closed_at IS NULL OR closed_at >= ?) ORDER BY school_id, class_name, opened_at, case_id",
        (*schools, iso_once(until), iso_once(since)),
    )
    return [(str(c), str(s), k, str(st), str(r)) for c, s, k, st, r in rows]


def schools_with_cases(store: ViewStore) -> list[str]:
    """Every school that has a case (the operator's county), in order."""
    return [str(s) for (s,) in store.fetch_all("SELECT DISTINCT school_id FROM cases ORDER BY school_id")]
