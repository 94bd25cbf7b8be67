"""我的任务: a teacher's overdue and coming tasks, with the child's name and class."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from adapters.driven.auth.models import UserRole
from adapters.driving.web.names import N_
from adapters.driving.web.pages import SignedIn, render, signed_in
from projections.queries import TaskRow

router = APIRouter(include_in_schema=False)
#: The step that does each kind of task, and the fields its form starts with.
TASK_STEPS: dict[str, tuple[str, dict[str, str]]] = {
    "home_visit": ("record_home_visit", {}),
    "guardian_contact": ("log_contact", {"party": "guardian"}),
    "parent_contact": ("log_contact", {"party": "parent"}),
    "mentor_talk": ("log_contact", {"party": "child", "channel": "in_person"}),
    "counselling": ("record_counselling", {}),
    "case_review": ("review_case", {}),
    "mentor_pairing": ("pair_mentor", {}),
}
WITHIN_DAYS = 7


@dataclass
class TaskLine:
    """A task as the list shows it."""

    row: TaskRow
    child: str
    class_name: str | None
    href: str


@router.get("/tasks")
def my_tasks(request: Request) -> Response:
    """Overdue tasks first, then those due within a week; one tap opens the step's form."""
    visit = signed_in(request)
    if not visit.can("tasks:own"):
        return render(visit, "error.html", status=403, title=visit.gettext(N_("My tasks")),
                      message=visit.gettext(N_("Your role does not allow this.")))
    user, caretrail = visit.user, visit.caretrail
    now = caretrail.clock()
    role_tasks = ("supervisor", user.schools) if user.role is UserRole.SUPERVISOR else None
    page = caretrail.read.my_tasks(user_id=user.user_id, now=now, within_days=WITHIN_DAYS,
                                   role_tasks=role_tasks, school_ids=user.schools, limit=100)
    lines = task_lines(visit, page.items)
    overdue = [line for line in lines if line.row.due_at < now]
    coming = [line for line in lines if line.row.due_at >= now]
    return render(visit, "tasks.html", overdue=overdue, coming=coming, more=page.next_cursor is not None)


def task_lines(visit: SignedIn, rows: list[TaskRow]) -> list[TaskLine]:
    """The rows with their child's name (from the case's first event, never kept in a
    view), each read written to the access log."""
    children: dict[str, tuple[str, str | None]] = {}
    schools: list[tuple[str, str | None]] = []
    for case_id in dict.fromkeys(row.case_id for row in rows):
        school_id, child = visit.caretrail.cases.child_of(UUID(case_id))
        children[case_id] = (child.name, child.class_name)
        schools.append((case_id, school_id))
    visit.accounts.record_accesses(visit.user, schools, resource="web-tasks", purpose="task list",
                                   request_id=visit.request.scope.get("caretrail.request_id"))
    lines = []
    for row in rows:
        name, class_name = children[row.case_id]
        step, fields = TASK_STEPS.get(row.kind, ("", {}))
        query = urlencode({**fields, "next": "/tasks"})
        href = f"/cases/{row.case_id}/steps/{step}?{query}" if step else f"/cases/{row.case_id}"
        lines.append(TaskLine(row, name, row.class_name or class_name, href))  # the view follows amendments
    return lines
