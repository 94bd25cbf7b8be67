"""A case's history from the event store: every event in order, as pages or an export file
(CSV as ``adapters.driving.exports`` writes it: a BOM, cells escaped against formulas)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import StreamingResponse

from adapters.driving.api.deps import Caller, CaseAccess, CaseRef, allow
from adapters.driving.api.heavy_reads import HeavySlot, StreamingWithSlot
from adapters.driving.api.permissions import Permission
from adapters.driving.api.problems import problem_responses
from adapters.driving.api.schemas import EventOut, HistoryPage
from adapters.driving.exports import HISTORY_COLUMNS, csv_lines, history_rows
from projections.queries import decode_cursor, encode_cursor

router = APIRouter(prefix="/cases/{case_id}/history", tags=["history"])


@router.get(
    "", response_model=HistoryPage, responses=problem_responses(404, 422),
)
def case_history(
    caller: Annotated[Caller, allow(Permission.HISTORY_READ)],
    case: Annotated[CaseRef, Depends(CaseAccess("history"))],
    after: Annotated[str | None, Query(max_length=100, description="next_cursor of a previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> HistoryPage:
    """Every event of the case in order: type, actor, role, occurred and recorded times, data."""
    start = _version(after) if after else 0
    events = caller.caretrail.cases.history_page(case.case_id, after=start, limit=limit + 1)
    page = [EventOut.of(e) for e in events[:limit]]
    cursor = encode_cursor(page[-1].version) if len(events) > limit else None
    return HistoryPage(case_id=case.case_id, items=page, next_cursor=cursor)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"description": "The whole history, one event per line (JSON Lines) or row (CSV)",
              "content": {"application/x-ndjson": {"schema": {"type": "string"}},
                          "text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(403, 404, 422, 429),
    },
)
def export_history(
    caller: Annotated[Caller, allow(Permission.HISTORY_EXPORT)],
    slot: HeavySlot,
    case: Annotated[CaseRef, Depends(CaseAccess("history-export", purpose_required=True))],
    format: Annotated[Literal["jsonl", "csv"], Query(description="jsonl or csv")] = "jsonl",
) -> StreamingResponse:
    """The whole history as a file, streamed as it is read; needs a purpose (``X-Purpose``
    or ``?purpose=``). A few at a time per person and per server (429 beyond)."""
    history = caller.caretrail.cases.stream_history(case.case_id)
    name = f"case-{case.case_id}-history.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return StreamingWithSlot(csv_lines(HISTORY_COLUMNS, history_rows(history)), slot,
                                 media_type="text/csv; charset=utf-8", headers=headers)
    lines = (EventOut.of(e).model_dump_json() + "\n" for e in history)
    return StreamingWithSlot(lines, slot, media_type="application/x-ndjson", headers=headers)


def _version(cursor: str) -> int:
    value: int = decode_cursor(cursor, int)[0]
    return value
