"""A case's events as the case page tells them: what, who, when, in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.driving.web.names import CHOICES, EVENTS, KINDS, N_, RELATIONS, ROLES, STATES
from adapters.driving.web.pages import Visit

#: What teachers write, shown as they wrote it.
FREE_TEXT = ("observations", "summary", "text", "note")
#: Events that are the engine's bookkeeping (the open tasks are shown beside): not told.
BOOKKEEPING = frozenset({"FollowUpScheduled", "FollowUpCompleted", "FollowUpCancelled",
                         "FollowUpReassigned"})


@dataclass
class Entry:
    """One line of the timeline."""

    title: str
    detail: str
    who: str
    when: str


def timeline(visit: Visit, events: list[Any]) -> list[Entry]:
    """The events, newest first, but the bookkeeping ones (about half of a case's)."""
    entries = []
    for event in reversed(events):
        name = type(event).__name__
        if name in BOOKKEEPING:
            continue
        role = event.actor.role.value
        who = f"{event.actor.user_id} ({visit.gettext(ROLES.get(role, role))})"
        entries.append(Entry(
            title=visit.gettext(EVENTS.get(name, name)), detail=_detail(visit, event), who=who,
            when=visit.local(event.occurred_at),
        ))
    return entries


def consent_text(visit: Visit, consent: Any) -> str:
    """How, by whom and when the guardian consented, in the visitor's words."""
    tr = visit.gettext
    evidence = (tr(N_("form %(number)s"), number=consent.form_number) if consent.form_number
                else tr(N_("witness %(name)s"), name=consent.witness))
    return tr(N_("%(method)s (%(evidence)s), by %(name)s (%(relation)s), %(date)s"),
              method=tr(CHOICES.get(consent.method, consent.method)), evidence=evidence,
              name=consent.given_by, relation=tr(RELATIONS.get(consent.relation, consent.relation)),
              date=consent.given_on.isoformat())


def _detail(visit: Visit, event: Any) -> str:
    """What the event says beyond its name (free text as the teacher wrote it)."""
    tr = visit.gettext
    name = type(event).__name__
    parts: list[str] = []
    if name == "HomeVisited":
        parts.append(tr(N_("guardian met")) if event.guardian_met else tr(N_("guardian not met")))
    elif name == "ContactLogged":
        parts += [tr(CHOICES.get(event.party, event.party)), tr(CHOICES.get(event.channel, event.channel))]
    elif name == "Reviewed":
        parts.append(tr(CHOICES.get(event.outcome, event.outcome)))
    elif name == "Closed":
        parts.append(tr(CHOICES.get(event.reason, event.reason)))
    elif name in ("MentorPaired", "MentorReleased"):
        parts.append(event.mentor_id)
    elif name in ("HeadTeacherAssigned", "CounsellingTeacherAssigned"):
        parts.append(event.teacher_id)
    elif name == "DetailsAmended" and event.class_name:
        parts.append(event.class_name)
    elif name == "ClassMovedUp":
        parts.append(f"{event.from_class or '-'} → {event.class_name}")
    elif name == "WorkflowUpgraded":
        parts.append(str(event.to_workflow))
    elif name == "RiskLevelChanged":
        parts.append(tr(CHOICES.get(event.level, event.level)))
    elif name == "FollowUpScheduled":
        parts.append(tr(N_("%(kind)s, due %(date)s"), kind=tr(KINDS.get(event.kind, event.kind)),
                        date=visit.local(event.due_at, "%Y-%m-%d")))
    elif name == "FollowUpEscalated":
        parts.append(tr(N_("%(days)s days overdue, to %(role)s"), days=event.days_overdue,
                        role=tr(ROLES.get(event.to_role.value, event.to_role.value))))
    elif name == "Identified":
        parts.append(tr(STATES.get(event.state, event.state)))
        if event.consent is not None:
            parts.append(consent_text(visit, event.consent))
    elif name == "ConsentRecorded":
        parts.append(consent_text(visit, event.consent))
    elif name == "ConsentWithdrawn":
        parts.append(f"{event.withdrawn_by} ({tr(RELATIONS.get(event.relation, event.relation))})")
    fields = type(event).model_fields  # a field the event lacks: no pydantic AttributeError
    for text in ("observations", "summary", "text", "note", "reason"):
        value = getattr(event, text) if text in fields else None
        if (isinstance(value, str) and name not in ("Closed",) and text != "reason") or (
            text == "reason" and name in ("Reopened", "MentorReleased") and value
        ):
            # A reason the engine wrote (a code) in the visitor's words; a person's as typed.
            parts.append(tr(CHOICES[value]) if value in CHOICES else str(value))
    return " · ".join(p for p in parts if p)
