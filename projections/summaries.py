"""One short line per event for the audit log: ids, kinds and dates, never a name.

A table keyed by event class rather than a ``match``: the audit view summarises every
event of the log, and a class lookup costs the same for the first and the last kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.case import Case
from domain.mentor import Mentor


def _short(follow_up_id: Any) -> str:
    return str(follow_up_id)[:8]


_SUMMARIES: dict[type, Callable[[Any], str]] = {
    Case.Identified: lambda e: (
        f"case opened in {e.state} (risk {e.risk_level}, head teacher {e.head_teacher_id})"
    ),
    Case.HomeVisited: lambda e: (
        f"home visit recorded ({'guardian met' if e.guardian_met else 'guardian not met'})"
    ),
    Case.MentorPaired: lambda e: f"mentor {e.mentor_id} paired",
    Case.MentorReleased: lambda e: f"mentor {e.mentor_id} released",
    Case.CounsellingHeld: lambda e: f"counselling held by {e.counsellor_id}",
    Case.Reviewed: lambda e: f"case reviewed: {e.outcome}",
    Case.Closed: lambda e: f"case closed: {e.reason}",
    Case.Reopened: lambda e: "case reopened",
    Case.ContactLogged: lambda e: f"contact with {e.party} by {e.channel}",
    Case.NoteAdded: lambda e: "note added",
    Case.DetailsAmended: lambda e: "details amended: " + ", ".join(
        part for part, given in (
            ("class", e.class_name), ("guardian", e.guardian), ("parents", e.parents)) if given
    ) + (" (another guardian)" if e.guardian_changed else ""),
    Case.ConsentRecorded: lambda e: f"consent recorded ({e.consent.method}, given {e.consent.given_on})",
    Case.ConsentWithdrawn: lambda e: "consent withdrawn (erasure to decide)",
    Case.HeadTeacherAssigned: lambda e: f"head teacher {e.teacher_id} assigned",
    Case.CounsellingTeacherAssigned: lambda e: f"counselling teacher {e.teacher_id} assigned",
    Case.ClassMovedUp: lambda e: f"school year {e.school_year}: moved up a class",
    Case.WorkflowUpgraded: lambda e: f"workflow {e.to_workflow} from now on",
    Case.RiskLevelChanged: lambda e: f"risk level set to {e.level}",
    Case.FollowUpScheduled: lambda e: (
        f"{e.kind} scheduled, due {e.due_at.date().isoformat()} "
        f"({e.assignee_id or e.assignee_role})"
    ),
    Case.FollowUpCompleted: lambda e: f"follow-up {_short(e.follow_up_id)} done ({e.completed_by})",
    Case.FollowUpCancelled: lambda e: (
        f"follow-up {_short(e.follow_up_id)} cancelled ({e.reason})"
    ),
    Case.FollowUpReassigned: lambda e: (
        f"follow-up {_short(e.follow_up_id)} reassigned to {e.assignee_id}"
    ),
    Case.FollowUpEscalated: lambda e: (
        f"follow-up {_short(e.follow_up_id)} escalated to {e.to_role} "
        f"(level {e.level}, {e.days_overdue} days overdue)"
    ),
    Case.Erased: lambda e: f"personal data erased ({e.reason})",
    Mentor.Registered: lambda e: f"mentor record of {e.teacher_id} opened",
    Mentor.ChildAssigned: lambda e: "child assigned to mentor",
    Mentor.ChildReleased: lambda e: "child released by mentor",
}


def summarise(event: Any) -> str:
    """A human-readable line about ``event`` that carries no personal data.

    Free text (observations, notes, summaries) never appears: it may name the child.
    """
    make = _SUMMARIES.get(type(event))
    return make(event) if make is not None else type(event).__name__
