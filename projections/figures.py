"""A school's figures: its statistics now, overdue tasks at given moments, on-time
completion per kind, home visits per period. :class:`projections.queries.ReadModels` answers them.

Moments and period bounds come in as aware datetimes chosen by the caller (the end of each
week of a term, the first of each month, in the school's time zone); the views compare them
as UTC text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

from pydantic import BaseModel

from projections.rows import ONE_DAY, KindStats, SchoolStats
from projections.store import ViewStore, from_iso, iso_once


class KindOnTime(BaseModel):
    """Tasks of one kind done in a period, and how many of them by their due time."""

    kind: str
    done: int
    on_time: int

    @property
    def rate(self) -> float:
        """The share done on time (``done`` is never 0: a kind nobody finished is left out)."""
        return self.on_time / self.done


def overdue_at(store: ViewStore, school_id: str, moments: Sequence[datetime]) -> list[int]:
    """How many tasks of the school were overdue at each of ``moments``.

    A task is overdue at ``t`` when it was due before ``t`` and not yet done or cancelled at
    ``t`` (its ``closed_at`` is later, or it is still open), as the lists count it at ``now``.
    Three parts, each read from an index of the view: the tasks open now
    (``fu_open_school_due``), those done (``fu_done_school_closed``) and those cancelled
    (``fu_closed_school_due``) after the first moment.
    """
    if not moments:
        return []
    at = [_text(m) for m in moments]
    first, last = min(at), max(at)
    counts = ", ".join(
        "SUM(CASE WHEN due_at < ? AND (closed_at IS NULL OR closed_at > ?) THEN 1 ELSE 0 END)"
        for _ in at
    )
    rows = store.fetch_all(
        f"SELECT {counts} FROM ("
        "SELECT due_at, CAST(NULL AS TEXT) AS closed_at FROM follow_ups "
        "WHERE school_id = ? AND status = 'open' AND due_at < ? "
        "UNION ALL SELECT due_at, closed_at FROM follow_ups "
        "WHERE school_id = ? AND status = 'done' AND closed_at > ? AND due_at < ? "
        "UNION ALL SELECT due_at, closed_at FROM follow_ups "
        "WHERE school_id = ? AND status = 'cancelled' AND closed_at IS NOT NULL "
        "AND closed_at > ? AND due_at < ?"
        ") AS tasks",
        (*(v for t in at for v in (t, t)),
         school_id, last, school_id, first, last, school_id, first, last),
    )
    return [int(n or 0) for n in rows[0]]


def on_time_by_kind(
    store: ViewStore, school_id: str, since: datetime, until: datetime
) -> list[KindOnTime]:
    """Per kind, the school's tasks done in ``[since, until)`` and those done by their due
    time (``closed_at <= due_at``, as :meth:`ReadModels.stats` counts), by kind."""
    rows = store.fetch_all(
        "SELECT kind, COUNT(*), SUM(CASE WHEN closed_at <= due_at THEN 1 ELSE 0 END) "
        "FROM follow_ups WHERE school_id = ? AND status = 'done' AND closed_at >= ? "
        "AND closed_at < ? GROUP BY kind ORDER BY kind",
        (school_id, _text(since), _text(until)),
    )
    return [KindOnTime(kind=k, done=int(n), on_time=int(o or 0)) for k, n, o in rows]


def home_visits_between(store: ViewStore, school_id: str, bounds: Sequence[datetime]) -> list[int]:
    """How many home visits at the school occurred (``occurred_at``: the time the teacher
    gave, such as a paper record's) in each period ``[bounds[i], bounds[i+1])``; read from
    the audit log's partial index ``audit_home_visits``."""
    if len(bounds) < 2:
        return []
    at = [_text(b) for b in bounds]
    counts = ", ".join(
        "SUM(CASE WHEN occurred_at >= ? AND occurred_at < ? THEN 1 ELSE 0 END)"
        for _ in at[1:]
    )
    rows = store.fetch_all(
        f"SELECT {counts} FROM audit_log WHERE school_id = ? AND event_type = 'HomeVisited' "
        "AND occurred_at >= ? AND occurred_at < ?",
        (*(v for pair in pairwise(at) for v in pair),
         school_id, min(at), max(at)),
    )
    return [int(n or 0) for n in rows[0]]


def school_stats(
    cases: ViewStore, follow_ups: ViewStore, school_id: str, now: datetime, since: datetime
) -> SchoolStats:
    """Cases per state, open/overdue tasks per kind, on-time completion in ``[since, now)``."""
    with cases.reader() as cur:
        cur.execute(
            "SELECT state, COUNT(*) FROM cases WHERE school_id = ? GROUP BY state", (school_id,)
        )
        by_state = {state: n for state, n in cur.fetchall()}
    with follow_ups.reader() as cur:
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
        overdue_days = [(now - due) / ONE_DAY for (text,) in cur.fetchall()
                        if (due := from_iso(text)) is not None]
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


def _text(moment: datetime) -> str:
    return str(iso_once(moment))
