"""The read models, and the order they are built in.

Each view folds a batch in memory and writes it with a few statements: one transaction
per batch, rows and tracking position together. Statistics are queries over the
``cases`` and ``follow_ups`` views (see ``projections.queries``) rather than a fourth
copy of the same facts that would have to agree with them.
"""

from __future__ import annotations

from projections.audit_view import AUDIT_COLUMNS, AuditLogView
from projections.base import Projection
from projections.case_view import CASE_COLUMNS, CasesView
from projections.directory import CaseDirectory
from projections.follow_up_view import TASK_COLUMNS, FollowUpsView

__all__ = [
    "AUDIT_COLUMNS",
    "CASE_COLUMNS",
    "TASK_COLUMNS",
    "AuditLogView",
    "CaseDirectory",
    "CasesView",
    "FollowUpsView",
    "all_views",
]


def all_views() -> list[Projection]:
    """A fresh instance of every view, in the order they are built."""
    return [CasesView(), FollowUpsView(), AuditLogView()]
