"""One short line per event for the audit log: ids, kinds and dates, never a name."""

from __future__ import annotations

from typing import Any

from domain.case import Case
from domain.mentor import Mentor


def summarise(event: Any) -> str:
    """A human-readable line about ``event`` that carries no personal data."""
    match event:
        case Case.Identified():
            return (
                f"case opened in {event.state} (risk {event.risk_level}, "
                f"head teacher {event.head_teacher_id})"
            )
        case Case.HomeVisited():
            met = "guardian met" if event.guardian_met else "guardian not met"
            return f"home visit recorded ({met})"
        case Case.MentorPaired():
            return f"mentor {event.mentor_id} paired"
        case Case.MentorReleased():
            return f"mentor {event.mentor_id} released"
        case Case.CounsellingHeld():
            return f"counselling held by {event.counsellor_id}"
        case Case.Reviewed():
            return f"case reviewed: {event.outcome}"
        case Case.Closed():
            return f"case closed: {event.reason}"
        case Case.Reopened():
            return "case reopened"
        case Case.ContactLogged():
            return f"contact with {event.party} by {event.channel}"
        case Case.NoteAdded():
            return "note added"
        case Case.HeadTeacherAssigned():
            return f"head teacher {event.teacher_id} assigned"
        case Case.RiskLevelChanged():
            return f"risk level set to {event.level}"
        case Case.FollowUpScheduled():
            who = event.assignee_id or event.assignee_role
            return f"{event.kind} scheduled, due {event.due_at.date().isoformat()} ({who})"
        case Case.FollowUpCompleted():
            return f"follow-up {str(event.follow_up_id)[:8]} done ({event.completed_by})"
        case Case.FollowUpCancelled():
            return f"follow-up {str(event.follow_up_id)[:8]} cancelled ({event.reason})"
        case Case.FollowUpReassigned():
            return f"follow-up {str(event.follow_up_id)[:8]} reassigned to {event.assignee_id}"
        case Case.FollowUpEscalated():
            return (
                f"follow-up {str(event.follow_up_id)[:8]} escalated to {event.to_role} "
                f"(level {event.level}, {event.days_overdue} days overdue)"
            )
        case Mentor.Registered():
            return f"mentor record of {event.teacher_id} opened"
        case Mentor.ChildAssigned():
            return "child assigned to mentor"
        case Mentor.ChildReleased():
            return "child released by mentor"
    return type(event).__name__
