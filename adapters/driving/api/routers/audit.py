"""For auditors: the cross-case event log (who did what) and the access log (who read what)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from adapters.driving.api.deps import Caller, Schools, allow
from adapters.driving.api.permissions import Permission
from adapters.driving.api.problems import problem_responses
from adapters.driving.api.schemas import AccessEntryOut, AccessLogPage
from domain.values import Ident
from projections.queries import AuditRow, Page, decode_cursor, encode_cursor
from workflows.commands import StatedTime

router = APIRouter(prefix="/audit", tags=["audit"])
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=100)]
Since = Annotated[StatedTime | None, Query(alias="from", description="Recorded at or after.")]
Until = Annotated[StatedTime | None, Query(alias="to", description="Recorded before.")]


@router.get(
    "/events", response_model=Page[AuditRow], responses=problem_responses(403, 422, 503),
)
async def audit_events(
    caller: Annotated[Caller, allow(Permission.AUDIT_READ, read_your_writes=True)],
    schools: Schools,
    case_id: Annotated[UUID | None, Query(description="A case id (UUID).")] = None,
    actor_id: Annotated[Ident | None, Query()] = None,
    since: Since = None,
    until: Until = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> Page[AuditRow]:
    """Every event of your schools' cases in log order: who, what, when, which case."""
    return await caller.call(
        caller.caretrail.read.audit_events,
        case_id=str(case_id) if case_id else None,
        actor_id=actor_id,
        school_ids=schools,
        since=since,
        until=until,
        after=after,
        limit=limit,
    )


@router.get(
    "/access-log", response_model=AccessLogPage, responses=problem_responses(403, 422),
)
async def access_log(
    caller: Annotated[Caller, allow(Permission.ACCESS_LOG_READ)],
    schools: Schools,
    case_id: Annotated[UUID | None, Query(description="A case id (UUID).")] = None,
    user_id: Annotated[Ident | None, Query()] = None,
    since: Since = None,
    until: Until = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> AccessLogPage:
    """Who read which case's personal data, when, in which role, and why."""
    start = _entry_id(after) if after else None
    entries = await run_in_threadpool(
        caller.accounts.store.access_log, school_ids=schools,
        case_id=str(case_id) if case_id else None, user_id=user_id, since=since, until=until,
        after=start, limit=limit + 1,
    )
    items = [AccessEntryOut.model_validate(e.model_dump()) for e in entries[:limit]]
    cursor = encode_cursor(items[-1].entry_id) if len(entries) > limit else None
    return AccessLogPage(items=items, next_cursor=cursor)


def _entry_id(cursor: str) -> int:
    value: int = decode_cursor(cursor, int)[0]
    return value
