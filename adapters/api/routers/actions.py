"""The steps of a case: ``POST /cases/{case_id}/<step>``; each answers state, version, position.

Every route: permission declared, case scoped (404 outside your schools), optional
``Idempotency-Key`` and ``If-Match``; the use case does the rest.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime

from adapters.api.commands import CaseCommands
from adapters.api.deps import ScopedCase, allow
from adapters.api.permissions import Permission
from adapters.api.problems import problem_responses
from adapters.api.schemas import (
    Closure,
    CommandOut,
    Contact,
    CounsellingSession,
    FollowUpCompletion,
    HeadTeacher,
    HomeVisit,
    MentorPairing,
    Note,
    Reopening,
    Review,
    RiskChange,
)
from domain.values import ShortText

router = APIRouter(prefix="/cases/{case_id}", tags=["case steps"])
_STEP: dict[str, Any] = {
    "response_model": CommandOut,
    "dependencies": [allow(Permission.CASE_ACT)],
    "responses": problem_responses(403, 404, 409, 412, 422),
}


@router.post("/home-visits", **_STEP)
def record_home_visit(body: HomeVisit, case: ScopedCase, cmd: CaseCommands) -> object:
    """Record a home visit (家访)."""
    return cmd.run(body, lambda opts: cmd.ct.cases.record_home_visit(
        case.case_id, cmd.actor, guardian_met=body.guardian_met, observations=body.observations, **opts))


@router.post("/mentor", **_STEP)
def pair_mentor(body: MentorPairing, case: ScopedCase, cmd: CaseCommands) -> object:
    """Pair the child with a mentor (结对帮扶), or hand over to another mentor."""
    return cmd.run(body, lambda opts: cmd.ct.cases.pair_mentor(
        case.case_id, cmd.actor, teacher_id=body.teacher_id, **opts))


@router.delete("/mentor", **_STEP)
def release_mentor(
    case: ScopedCase,
    cmd: CaseCommands,
    reason: Annotated[ShortText, Query(description="Why the pairing ends.")],
    occurred_at: Annotated[AwareDatetime | None, Query(description="Default: now.")] = None,
) -> object:
    """End the child's pairing with their mentor."""
    request = {"reason": reason, "occurred_at": occurred_at}
    return cmd.run(request, lambda opts: cmd.ct.cases.release_mentor(
        case.case_id, cmd.actor, reason=reason, **opts))


@router.post("/counselling-sessions", **_STEP)
def record_counselling(
    body: CounsellingSession, case: ScopedCase, cmd: CaseCommands
) -> object:
    """Record a counselling session held by you (心理辅导), optionally reassessing risk."""
    return cmd.run(body, lambda opts: cmd.ct.cases.record_counselling(
        case.case_id, cmd.actor, summary=body.summary, risk_level=body.risk_level, **opts))


@router.post("/reviews", **_STEP)
def review_case(body: Review, case: ScopedCase, cmd: CaseCommands) -> object:
    """Review the case: ``continue``, ``close`` or ``raise_risk``."""
    return cmd.run(body, lambda opts: cmd.ct.cases.review_case(
        case.case_id, cmd.actor, outcome=body.outcome, summary=body.summary, **opts))


@router.post("/contacts", **_STEP)
def log_contact(body: Contact, case: ScopedCase, cmd: CaseCommands) -> object:
    """Log a contact with the guardian, a parent, or the child."""
    return cmd.run(body, lambda opts: cmd.ct.cases.log_contact(
        case.case_id, cmd.actor, party=body.party, channel=body.channel, summary=body.summary, **opts))


@router.post("/notes", **_STEP)
def add_note(body: Note, case: ScopedCase, cmd: CaseCommands) -> object:
    """Add a note to the growth diary (成长日记)."""
    return cmd.run(body, lambda opts: cmd.ct.cases.add_note(
        case.case_id, cmd.actor, text=body.text, **opts))


@router.post("/closure", **_STEP)
def close_case(body: Closure, case: ScopedCase, cmd: CaseCommands) -> object:
    """Close the case (its mentor is released, open tasks cancelled)."""
    return cmd.run(body, lambda opts: cmd.ct.cases.close_case(
        case.case_id, cmd.actor, reason=body.reason, note=body.note, **opts))


@router.post("/reopening", **_STEP)
def reopen_case(body: Reopening, case: ScopedCase, cmd: CaseCommands) -> object:
    """Reopen a closed case."""
    return cmd.run(body, lambda opts: cmd.ct.cases.reopen_case(
        case.case_id, cmd.actor, reason=body.reason,
        **opts))


@router.post("/risk-level", **_STEP)
def change_risk_level(body: RiskChange, case: ScopedCase, cmd: CaseCommands) -> object:
    """Reassess the child's risk level (high risk shortens follow-up intervals)."""
    return cmd.run(body, lambda opts: cmd.ct.cases.change_risk_level(
        case.case_id, cmd.actor, level=body.level,
        reason=body.reason, **opts))


@router.post("/follow-ups/{follow_up_id}/completion", **_STEP)
def complete_follow_up(
    body: FollowUpCompletion,
    case: ScopedCase,
    cmd: CaseCommands,
    follow_up_id: Annotated[UUID, Path(description="The follow-up's id.")],
) -> object:
    """Mark an open follow-up done by hand."""
    return cmd.run(body, lambda opts: cmd.ct.cases.complete_follow_up(
        case.case_id, cmd.actor, follow_up_id=follow_up_id, note=body.note, **opts))


@router.post(
    "/head-teacher", response_model=CommandOut, dependencies=[allow(Permission.CASE_REASSIGN)],
    responses=problem_responses(403, 404, 409, 412, 422),
)
def assign_head_teacher(body: HeadTeacher, case: ScopedCase, cmd: CaseCommands) -> object:
    """Give the child another head teacher (supervisors: their open tasks follow)."""
    return cmd.run(body, lambda opts: cmd.ct.cases.assign_head_teacher(
        case.case_id, cmd.actor, teacher_id=body.teacher_id, **opts))
