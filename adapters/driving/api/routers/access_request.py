"""``GET /cases/{case_id}/access-request``: a guardian's access request, answered in one file.

The child's data (every event of the case, decoded) and everyone who read it and why,
as ``adapters.driving.access_request`` writes them. For a supervisor of the case's school
or an admin (an admin answers for every school of the deployment: a guardian's right does
not wait for a supervisor); a purpose is required, and the answer is itself in the access
log, before anything is read.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from adapters.driven.auth.models import AccessEntry, UserRole
from adapters.driving.access_request import lines, reads_of, records
from adapters.driving.api.deps import (
    Caller,
    CaseRef,
    HeaderPurpose,
    Purpose,
    allow,
    authenticated,
    case_in_scope,
    context,
    note,
)
from adapters.driving.api.errors import PurposeRequired
from adapters.driving.api.heavy_reads import HeavySlot, StreamingWithSlot
from adapters.driving.api.permissions import Permission
from adapters.driving.api.problems import problem_responses
from domain.errors import CaseNotFound

router = APIRouter(prefix="/cases/{case_id}", tags=["history"])
RESOURCE = "access-request"


async def case_for_access_request(
    request: Request, case_id: Annotated[UUID, Path(description="The case id.")],
) -> CaseRef:
    """The case: in the caller's schools (:func:`case_in_scope`), or any for an admin."""
    if authenticated(request).role is not UserRole.ADMIN:
        return await case_in_scope(request, case_id)
    note(request, case_id=str(case_id))
    school = await run_in_threadpool(context(request).caretrail.cases.school_of, case_id)
    if school is None:
        raise CaseNotFound(case_id)
    return CaseRef(case_id=case_id, school_id=school)


async def answered_request(
    request: Request,
    case: Annotated[CaseRef, Depends(case_for_access_request)],
    x_purpose: Annotated[HeaderPurpose | None, Header(
        alias="X-Purpose", description="Why (kept in the access log): the guardian's request.")] = None,
    purpose: Annotated[Purpose | None, Query(description="Same as X-Purpose, for non-ASCII text.")] = None,
) -> tuple[CaseRef, AccessEntry]:
    """The case, and this answer's entry in the access log (written first)."""
    stated = x_purpose or purpose
    if not stated:
        raise PurposeRequired("an access request needs a purpose: X-Purpose header or ?purpose=")
    entry = await run_in_threadpool(
        context(request).accounts.record_access, authenticated(request), case_id=str(case.case_id),
        school_id=case.school_id, resource=RESOURCE, purpose=stated,
        request_id=request.scope.get("caretrail.request_id"),
    )
    return case, entry


@router.get(
    "/access-request",
    response_class=StreamingResponse,
    responses={
        200: {"description": "The request, every event decoded, every read of the case: one "
                             "record per line (JSON Lines) or row (CSV)",
              "content": {"application/x-ndjson": {"schema": {"type": "string"}},
                          "text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(403, 404, 422, 429),
    },
)
def access_request(
    caller: Annotated[Caller, allow(Permission.ACCESS_REQUEST)],
    slot: HeavySlot,
    answered: Annotated[tuple[CaseRef, AccessEntry], Depends(answered_request)],
    format: Annotated[Literal["jsonl", "csv"], Query(description="jsonl or csv")] = "jsonl",
) -> StreamingResponse:
    """A guardian's access request: the child's data and who read it, and why. Needs a
    purpose (``X-Purpose`` or ``?purpose=``); written to the access log."""
    case, entry = answered
    found = records(case.case_id, entry, caller.caretrail.cases.stream_history(case.case_id),
                    reads_of(caller.accounts.store, case.case_id))
    name = f"case-{case.case_id}-access-request.{format}"
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingWithSlot(lines(found, format), slot, media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
