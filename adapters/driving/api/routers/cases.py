"""``/cases``: identify a child, list cases, read one case (now, at a version, as of a time)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from adapters.driving.api.deps import (
    Caller,
    CaseAccess,
    CaseRef,
    Schools,
    allow,
    require_school,
)
from adapters.driving.api.errors import VersionNotFound
from adapters.driving.api.idempotency import NewCaseCommands
from adapters.driving.api.permissions import Permission
from adapters.driving.api.problems import problem_responses
from adapters.driving.api.schemas import CaseDetail, CommandOut, request_body
from adapters.driving.erasure import erase_case
from domain.base import Frozen
from domain.values import Actor, ErasureReason, Ident, RiskLevel
from projections.queries import CaseRow, Page
from workflows.commands import EraseCase, IdentifyChild, StatedTime

router = APIRouter(prefix="/cases", tags=["cases"])
IdentifyChildBody = request_body(IdentifyChild, "IdentifyChild")
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=100)]


@router.post(
    "", status_code=201, response_model=CommandOut, responses=problem_responses(403, 409, 422),
)
def identify_child(
    caller: Annotated[Caller, allow(Permission.CASE_CREATE)], body: IdentifyChildBody, run: NewCaseCommands,
) -> object:
    """Identify a left-behind child: opens the case and schedules its first follow-ups."""
    require_school(caller.user, body.school_id)
    return run(IdentifyChild(**dict(body)), status=201, location=True)


@router.get(
    "", response_model=Page[CaseRow], responses=problem_responses(403, 422, 503),
)
async def list_cases(
    caller: Annotated[Caller, allow(Permission.CASE_READ, read_your_writes=True)],
    schools: Schools,
    state: Annotated[Ident | None, Query()] = None,
    mentor_id: Annotated[Ident | None, Query()] = None,
    head_teacher_id: Annotated[Ident | None, Query()] = None,
    risk_level: Annotated[RiskLevel | None, Query()] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> Page[CaseRow]:
    """Cases of your schools, oldest first (no personal data: ids, states, dates)."""
    return await caller.call(
        caller.caretrail.read.cases,
        school_ids=schools,
        state=state,
        mentor_id=mentor_id,
        head_teacher_id=head_teacher_id,
        risk_level=risk_level,
        after=after,
        limit=limit,
    )


@router.get(
    "/{case_id}", response_model=CaseDetail, responses=problem_responses(404, 422),
)
def get_case(
    caller: Annotated[Caller, allow(Permission.CASE_READ)],
    response: Response,
    case: Annotated[CaseRef, Depends(CaseAccess("case"))],
    version: Annotated[int | None, Query(ge=1, le=10**9, description="The case as of this version.")] = None,
    as_of: Annotated[StatedTime | None, Query(
        description="The case as the system knew it at this time (recorded time).")] = None,
) -> CaseDetail:
    """One case with its personal data, now, at ``version``, or as of a time (logged)."""
    caretrail = caller.caretrail
    if as_of is not None:
        found = caretrail.cases.case_as_of(case.case_id, as_of)
        if version is not None and found.version > version:
            found = caretrail.cases.get_case(case.case_id, version=version)
    else:
        found = caretrail.cases.get_case(case.case_id, version=version)
    if version is not None and found.version < version:
        raise VersionNotFound(f"case {case.case_id} is at version {found.version}, not yet {version}")
    response.headers["ETag"] = f'"{found.version}"'
    return CaseDetail.of(found)


class Erasure(Frozen):
    """Why the child's personal data is erased."""

    reason: ErasureReason


@router.post(
    "/{case_id}/erase", responses=problem_responses(403, 404, 409, 422),
)
def erase(
    caller: Annotated[Caller, allow(Permission.CASE_ERASE)],
    case: Annotated[CaseRef, Depends(CaseAccess("erasure"))],
    body: Erasure,
) -> dict[str, object]:
    """Erase the child's personal data (crypto-shredding: the case key is destroyed); the
    case's skeleton stays for audit and figures. Answers what was removed; 409 if the
    case is already erased (nothing changes)."""
    actor = Actor(user_id=caller.user.user_id, role=caller.user.role.domain_role)
    return erase_case(caller.caretrail, EraseCase(case_id=case.case_id, reason=body.reason), actor,
                      accounts=caller.accounts)
