"""Which cases the retention rule erases next: closed long enough ago, not yet erased.

Read from two views: the case list (closed cases by the day they closed, an index of
their own) and the audit log (the cases whose ``Erased`` event it holds, a partial index).
Names nothing but ids, schools and days: a plan is safe to print and to log.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel

from projections.store import ViewStore, iso_once


class RetentionItem(BaseModel):
    """A case the retention rule would erase: closed on ``closed_at``."""

    case_id: str
    school_id: str
    closed_at: datetime


def retention_due(
    stores: Mapping[str, ViewStore], *, closed_before: datetime, limit: int = 500
) -> list[RetentionItem]:
    """Up to ``limit`` cases closed before ``closed_before`` and not erased, oldest first."""
    found: list[RetentionItem] = []
    after: tuple[str, str] = ("", "")
    while len(found) < limit:
        rows = stores["cases"].fetch_all(
            "SELECT case_id, school_id, closed_at FROM cases WHERE closed_at IS NOT NULL "
            "AND closed_at < ? AND (closed_at > ? OR (closed_at = ? AND case_id > ?)) "
            "ORDER BY closed_at, case_id LIMIT ?",
            (iso_once(closed_before), after[0], after[0], after[1], limit),
        )
        if not rows:
            break
        erased = _erased(stores["audit_log"], [r[0] for r in rows])
        found += [
            RetentionItem(case_id=c, school_id=s, closed_at=datetime.fromisoformat(at))
            for c, s, at in rows if c not in erased
        ]
        after = (rows[-1][2], rows[-1][0])
    return found[:limit]


def _erased(audit: ViewStore, case_ids: list[str]) -> set[str]:
    marks = ", ".join("?" for _ in case_ids)
    rows = audit.fetch_all(
        f"SELECT case_id FROM audit_log WHERE event_type = 'Erased' AND case_id IN ({marks})",
        tuple(case_ids),
    )
    return {r[0] for r in rows}
