"""Statistics per school, liveness and readiness probes, and the problem-type catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from adapters.driving.api.deps import Caller, Context, OneSchool, allow
from adapters.driving.api.errors import NotReady
from adapters.driving.api.permissions import Permission
from adapters.driving.api.problems import CATALOGUE, problem_responses, problem_type
from adapters.driving.api.schemas import Health, Readiness, ViewOut
from projections.queries import SchoolStats
from workflows.commands import StatedTime

router = APIRouter(tags=["operations"])


@router.get(
    "/stats", response_model=SchoolStats, responses=problem_responses(403, 422, 503),
)
async def stats(
    caller: Annotated[Caller, allow(Permission.STATS_READ, read_your_writes=True)],
    school_id: OneSchool,
    since: Annotated[StatedTime | None, Query(description="Default: a year ago.")] = None,
) -> SchoolStats:
    """Cases per state, open and overdue tasks per kind, on-time completion rate."""
    caretrail = caller.caretrail
    return await run_in_threadpool(  # an aggregate over a whole school: never on the loop
        caretrail.read.stats, school_id=school_id, now=caretrail.clock(), since=since)


@router.get("/healthz", response_model=Health, dependencies=[allow(Permission.PUBLIC)])
async def healthz() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok")


@router.get(
    "/readyz", response_model=Readiness, responses=problem_responses(503),
)
async def readyz(ctx: Annotated[Context, allow(Permission.PUBLIC)], request: Request) -> Readiness:
    """Readiness: the process that keeps the views current runs, the stores answer, the
    views catch up, and every view is within the allowed lag of the log."""
    caretrail, accounts, max_lag = ctx.caretrail, ctx.accounts, ctx.config.max_view_lag
    views_keeper = request.app.state.views_keeper
    if views_keeper is not None and not views_keeper():
        raise NotReady("the process that keeps the views current is gone")
    try:
        views = await run_in_threadpool(caretrail.runner.status)
        await run_in_threadpool(accounts.store.get_user, "readyz-probe")
    except Exception as e:  # whatever the driver raises, the answer is "not ready"
        raise NotReady(f"a store does not answer ({type(e).__name__})") from None
    if caretrail.runner.failure is not None:
        raise NotReady(f"the views cannot catch up ({caretrail.runner.failure}, "
                       f"{caretrail.runner.failures} attempts in a row; see the log)")
    worst = max((v.lag for v in views), default=0)
    if worst > max_lag:
        raise NotReady(f"the views are {worst} events behind the log (allowed: {max_lag})")
    return Readiness(
        ready=True, head=max((v.position + v.lag for v in views), default=0), max_lag=max_lag,
        views=[ViewOut(name=v.name, position=v.position, lag=v.lag) for v in views],
    )


class ProblemDescription(BaseModel):
    """What a problem ``type`` means."""

    type: str
    status: int
    title: str


@router.get("/problems", response_model=list[ProblemDescription],
            dependencies=[allow(Permission.PUBLIC)])
async def problems() -> list[ProblemDescription]:
    """Every problem type this API answers with."""
    return [ProblemDescription(type=problem_type(c), status=p.status, title=p.title)
            for c, p in CATALOGUE.items()]


@router.get("/problems/{code}", response_model=ProblemDescription,
            dependencies=[allow(Permission.PUBLIC)], responses=problem_responses(404))
async def problem(code: Annotated[str, Path(max_length=50)]) -> ProblemDescription:
    """What one problem type means."""
    found = CATALOGUE.get(code)
    if found is None:
        raise HTTPException(404, "no problem type with this code")
    return ProblemDescription(type=problem_type(code), status=found.status, title=found.title)
