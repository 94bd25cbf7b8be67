"""A school's daily digest for its supervisors, built from the follow-up view."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from adapters.driven.notify.messages import AssigneeCount, DigestItem, DigestLine, SchoolDigest
from projections.queries import ReadModels, TaskStatus

#: How many of the oldest overdue tasks a digest lists.
OLDEST = 10


def build_digest(read: ReadModels, school_id: str, now: datetime, *, oldest: int = OLDEST) -> SchoolDigest:
    """Overdue tasks of one school at ``now``: counts by kind and by assignee, oldest first."""
    summary = read.overdue_summary(school_ids=[school_id], now=now)
    lines = tuple(
        DigestLine(
            kind=c.kind, assignee_role=c.assignee_role, assignee_id=c.assignee_id, count=c.count,
            oldest_due_at=c.oldest_due_at, max_days_overdue=c.max_days_overdue,
        )
        for c in summary
    )
    by_kind: Counter[str] = Counter()
    by_assignee: Counter[tuple[str | None, str | None]] = Counter()
    for line in lines:
        by_kind[line.kind] += line.count
        # A person counts once whatever role they hold; an unassigned task counts under its role.
        key = (None, line.assignee_id) if line.assignee_id else (line.assignee_role, None)
        by_assignee[key] += line.count
    page = read.tasks(now=now, status=TaskStatus.OVERDUE, school_ids=[school_id], limit=oldest)
    return SchoolDigest(
        school_id=school_id,
        generated_at=now,
        total_overdue=sum(by_kind.values()),
        by_kind=dict(sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))),
        by_assignee=tuple(
            AssigneeCount(assignee_role=role, assignee_id=who, count=n)
            for (role, who), n in sorted(by_assignee.items(), key=lambda kv: (-kv[1], str(kv[0])))
        ),
        lines=lines,
        oldest=tuple(
            DigestItem(
                case_id=t.case_id, follow_up_id=t.follow_up_id, kind=t.kind,
                assignee_role=t.assignee_role, assignee_id=t.assignee_id, due_at=t.due_at,
                days_overdue=t.days_overdue, escalation_level=t.escalation_level,
            )
            for t in page.items
        ),
    )


def digest_day(now: datetime, tz: ZoneInfo) -> date:
    """The school-local day a digest made at ``now`` belongs to (one digest per school a day)."""
    return now.astimezone(tz).date()


def digest_due(now: datetime, at: time, tz: ZoneInfo) -> bool:
    """True once today's digest time has passed in the school's time zone."""
    return now.astimezone(tz).time() >= at
