"""Which cases an operation on many cases starts from, as the views say: a teacher's for a
hand-over, a school's open cases for a roll-over.

The views may lag the log; ``workflows.hand_over`` re-checks each candidate on the case
itself. Open cases only: a closed case has nothing left to do.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections.queries import ReadModels


def cases_held_by(read: ReadModels, teacher_id: str, school_ids: Sequence[str] | None = None) -> list[str]:
    """Ids of the open cases ``teacher_id`` is head teacher, mentor or counselling teacher
    of, or has an open task on, in ``school_ids`` (None: every school), oldest first."""
    if school_ids is not None and not school_ids:
        return []
    scope, params = "", [teacher_id, teacher_id, teacher_id]
    if school_ids is not None:
        scope = f" AND school_id IN ({', '.join('?' for _ in school_ids)})"
        params += list(school_ids)
    held = read.stores["cases"].fetch_all(
        "SELECT case_id FROM cases WHERE closed_at IS NULL AND "
        f"(head_teacher_id = ? OR mentor_id = ? OR counselling_teacher_id = ?){scope} "
        "ORDER BY opened_at, case_id",
        params,
    )
    tasks = read.stores["follow_ups"].fetch_all(
        f"SELECT DISTINCT case_id FROM follow_ups WHERE assignee_id = ? AND status = 'open'{scope}",
        [teacher_id, *params[3:]],
    )
    return list(dict.fromkeys([str(r[0]) for r in held] + sorted(str(r[0]) for r in tasks)))


def open_cases_of(read: ReadModels, school_id: str) -> list[str]:
    """Ids of the school's open cases, oldest first: the candidates of a roll-over."""
    rows = read.stores["cases"].fetch_all(
        "SELECT case_id FROM cases WHERE school_id = ? AND closed_at IS NULL ORDER BY opened_at, case_id",
        (school_id,),
    )
    return [str(r[0]) for r in rows]
