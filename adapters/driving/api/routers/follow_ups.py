"""Follow-up tasks: lists by status for supervisors and auditors, and the caller's own tasks."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from adapters.driven.auth.models import UserRole
from adapters.driving.api.deps import Caller, Schools, allow
from adapters.driving.api.permissions import GRANTS, Permission
from adapters.driving.api.problems import problem_responses
from adapters.driving.api.schemas import Me, OverdueSummary
from domain.values import AssigneeRole, Ident
from projections.queries import Page, TaskRow, TaskStatus

router = APIRouter(tags=["follow-ups"])
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=100)]


@router.get(
    "/follow-ups", response_model=Page[TaskRow], responses=problem_responses(403, 422, 503),
)
async def list_follow_ups(
    caller: Annotated[Caller, allow(Permission.TASKS_ALL, read_your_writes=True)],
    schools: Schools,
    status: TaskStatus = TaskStatus.OPEN,
    assignee_id: Annotated[Ident | None, Query()] = None,
    assignee_role: Annotated[AssigneeRole | None, Query()] = None,
    kind: Annotated[Ident | None, Query()] = None,
    case_id: Annotated[UUID | None, Query(description="A case id (UUID).")] = None,
    min_days_overdue: Annotated[int, Query(ge=0, le=3650, description="With status=overdue.")] = 0,
    due_within_days: Annotated[int | None, Query(ge=0, le=366)] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> Page[TaskRow]:
    """Tasks of your schools by status (overdue: most overdue first), filtered."""
    caretrail = caller.caretrail
    return await caller.call(
        caretrail.read.tasks,
        now=caretrail.clock(),
        status=status,
        school_ids=schools,
        assignee_id=assignee_id,
        assignee_role=assignee_role.value if assignee_role else None,
        kind=kind,
        case_id=str(case_id) if case_id else None,
        min_days_overdue=min_days_overdue,
        due_within_days=due_within_days,
        after=after,
        limit=limit,
    )


@router.get(
    "/follow-ups/summary", response_model=OverdueSummary, responses=problem_responses(403, 422, 503),
)
async def overdue_summary(
    caller: Annotated[Caller, allow(Permission.TASKS_ALL, read_your_writes=True)], schools: Schools,
) -> OverdueSummary:
    """Overdue counts per assignee and task kind at your schools (an aggregate: one page)."""
    now = caller.caretrail.clock()
    items = await caller.call(caller.caretrail.read.overdue_summary, school_ids=schools, now=now)
    return OverdueSummary(school_ids=list(schools), as_of=now, items=items)


@router.get(
    "/me/tasks", response_model=Page[TaskRow], responses=problem_responses(403, 422, 503),
)
async def my_tasks(
    caller: Annotated[Caller, allow(Permission.TASKS_OWN, read_your_writes=True)],
    within_days: Annotated[int, Query(ge=0, le=366, description="Due within this many days.")] = 7,
    after: Cursor = None,
    limit: Limit = 50,
) -> Page[TaskRow]:
    """Your open tasks at your schools, overdue or due soon, soonest first (supervisors: also
    your schools' unassigned supervisor tasks, such as mentor pairings)."""
    caretrail, user = caller.caretrail, caller.user
    role_tasks = ("supervisor", user.schools) if user.role is UserRole.SUPERVISOR else None
    return await caller.call(
        caretrail.read.my_tasks,
        user_id=user.user_id,
        now=caretrail.clock(),
        within_days=within_days,
        role_tasks=role_tasks,
        school_ids=user.schools,
        after=after,
        limit=limit,
    )


@router.get("/me", response_model=Me, responses=problem_responses(403))
async def me(caller: Annotated[Caller, allow(Permission.SELF)]) -> Me:
    """Who you are: id, role, schools, what your role allows, when your token expires."""
    user = caller.user
    return Me(
        user_id=user.user_id, role=user.role.value, schools=list(user.schools),
        permissions=sorted(p.value for p in GRANTS[user.role]), token_expires_at=user.expires_at,
    )
