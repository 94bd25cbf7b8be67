"""A school's year over HTTP: a teacher's hand-over, the roll-over, closing many cases.

Each is one operation of ``workflows`` over many cases, for a school's supervisor
(``case:reassign``), inside the caller's schools; each case is written on its own, and a
second identical request changes nothing (the command ids come from the operation and
the case). ``dry_run`` answers the plan and writes nothing. The answers name cases by id.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from adapters.driving.api.deps import Caller, allow, require_school
from adapters.driving.api.permissions import Permission
from adapters.driving.api.problems import problem_responses
from domain.values import Actor, ClosureReason, Ident, ShortText
from projections.holdings import cases_held_by, open_cases_of
from workflows.bulk_close import CloseManyReport, close_many
from workflows.hand_over import HandOverReport, Successors, hand_over, holdings_of
from workflows.rollover import RolloverReport, plan_rollover, roll_over

router = APIRouter(tags=["school year"])
#: A class's name (三年级2班); bodies stay within the request body limit (64 KiB).
ClassName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
#: The most cases one request closes (more: several requests).
CASES_PER_REQUEST = 1000
Supervisor = Annotated[Caller, allow(Permission.CASE_REASSIGN)]
DryRun = Annotated[StrictBool, Field(description="true: answer the plan, write nothing.")]


class HandOverBody(BaseModel):
    """Who takes over each role the leaving teacher holds (a role held nowhere needs nobody)."""

    model_config = ConfigDict(extra="forbid")

    to_mentor: Ident | None = None
    to_head_teacher: Ident | None = None
    to_counsellor: Ident | None = None
    dry_run: DryRun = False


class RolloverBody(BaseModel):
    """The school's confirmed mapping of its classes for the new school year."""

    model_config = ConfigDict(extra="forbid")

    school_year: int = Field(ge=2000, le=2100, description="The year the school year starts in.")
    mapping: dict[ClassName, ClassName] = Field(
        max_length=80, description='Each class and where it goes: {"三年级2班": "四年级2班"}.')
    graduating: list[ClassName] = Field(default=[], max_length=20)
    dry_run: DryRun = False


class CloseManyBody(BaseModel):
    """The cases to close and the one reason for all of them."""

    model_config = ConfigDict(extra="forbid")

    case_ids: list[UUID] = Field(min_length=1, max_length=CASES_PER_REQUEST)
    reason: ClosureReason = Field(description="left_school, parents_returned, graduated or other.")
    note: ShortText | None = None


def _actor(caller: Caller) -> Actor:
    return Actor(user_id=caller.user.user_id, role=caller.user.role.domain_role)


@router.post("/teachers/{teacher_id}/hand-over", response_model=HandOverReport,
             responses=problem_responses(403, 409, 422))
def hand_over_teacher(
    caller: Supervisor,
    teacher_id: Annotated[Ident, Path(description="The leaving teacher's user id.")],
    body: HandOverBody,
) -> HandOverReport:
    """A teacher leaves: what they hold in your schools (their head-teacher cases, mentees,
    counselling and open tasks) goes to the successors, each case in one save."""
    caretrail = caller.caretrail
    held = cases_held_by(caretrail.read, teacher_id, caller.user.schools)
    holdings = holdings_of(caretrail.cases, teacher_id, [UUID(c) for c in held])
    successors = Successors(mentor=body.to_mentor, head_teacher=body.to_head_teacher,
                            counselling_teacher=body.to_counsellor)
    return hand_over(caretrail.cases, teacher_id, holdings, successors, _actor(caller),
                     dry_run=body.dry_run)


@router.post("/schools/{school_id}/rollover", response_model=RolloverReport,
             responses=problem_responses(403, 409, 422))
def roll_over_school(
    caller: Supervisor,
    school_id: Annotated[Ident, Path(description="The school's id.")],
    body: RolloverBody,
) -> RolloverReport:
    """A new school year: classes move up by the mapping, graduating classes' cases close
    (reason ``graduated``), every other child gets the start-of-year re-check."""
    require_school(caller.user, school_id)
    caretrail = caller.caretrail
    candidates = [UUID(c) for c in open_cases_of(caretrail.read, school_id)]
    plan = plan_rollover(caretrail.cases, school_id, body.school_year, candidates, body.mapping,
                         body.graduating)
    return roll_over(caretrail.cases, plan, _actor(caller), dry_run=body.dry_run)


@router.post("/cases/closures", response_model=CloseManyReport, responses=problem_responses(403, 422))
def close_cases(caller: Supervisor, body: CloseManyBody) -> CloseManyReport:
    """Close many cases of your schools with one reason, each on its own; the answer lists
    the closed, the skipped (already closed) and the refused (a case outside your schools
    is refused as unknown)."""
    return close_many(caller.caretrail.cases, body.case_ids, body.reason, _actor(caller),
                      note=body.note, school_ids=caller.user.schools)
