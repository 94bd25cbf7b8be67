"""The default notifier: each notice and digest as a log line (ids and counts only)."""

from __future__ import annotations

import structlog

from adapters.driven.notify.messages import EscalationBatch, SchoolDigest
from adapters.driven.notify.port import Notifier

log = structlog.get_logger()


class LogNotifier(Notifier):
    """Writes each notice and digest to the log (structlog), ids and counts only."""

    name = "log"

    def send(self, message: EscalationBatch | SchoolDigest) -> None:
        """Log one line per escalation notice, or one line per digest."""
        if isinstance(message, EscalationBatch):
            for n in message.notices:
                log.info(
                    "escalation_notice", case_id=n.case_id, follow_up_id=n.follow_up_id,
                    school_id=n.school_id, kind=n.kind, assignee_role=n.assignee_role,
                    assignee_id=n.assignee_id, escalation_level=n.level, to_role=n.to_role,
                    days_overdue=n.days_overdue,
                )
        else:
            log.info(
                "school_digest", school_id=message.school_id, total_overdue=message.total_overdue,
                by_kind=message.by_kind, oldest_case_ids=[i.case_id for i in message.oldest],
            )
