"""逾期看板: a supervisor's overdue tasks, escalations, and the children waiting for a mentor."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from adapters.driven.auth.models import TeacherRole
from adapters.driving.api.permissions import step_permission
from adapters.driving.web.names import N_
from adapters.driving.web.pages import SignedIn, check_form, render, signed_in
from adapters.driving.web.routes.cases import record_step
from adapters.driving.web.routes.tasks import TaskLine, task_lines
from projections.queries import TaskStatus
from workflows.commands import PairMentor

router = APIRouter(include_in_schema=False)
PAGE = 50


@dataclass
class Mentor:
    """A teacher who could mentor, and how many children they mentor now."""

    user_id: str
    name: str
    load: int


@router.get("/board")
def board(request: Request, kind: str = "", assignee: str = "", min_days: str = "",
          class_name: str = "") -> Response:
    """Overdue tasks of the supervisor's schools (filtered), counts, escalations, pairing."""
    visit = signed_in(request)
    if not visit.can("tasks:all"):
        return render(visit, "error.html", status=403, title=visit.gettext(N_("Overdue board")),
                      message=visit.gettext(N_("Your role does not allow this.")))
    return board_page(visit, kind=kind, assignee=assignee, min_days=min_days, class_name=class_name)


@router.post("/board/pairing")
async def pair_from_board(request: Request) -> Response:
    """Pair the child chosen on the board with the mentor chosen (one form for all the
    children waiting: a mentor list per child made the board heavy)."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    return await run_in_threadpool(_pair, request, form)


def _pair(request: Request, form: dict[str, str]) -> Response:
    visit = signed_in(request)
    if not visit.can("tasks:all") or not visit.can(step_permission(PairMentor).value):
        return render(visit, "error.html", status=403, title=visit.gettext(N_("Overdue board")),
                      message=visit.gettext(N_("Your role does not allow this.")))
    check_form(visit, form)
    if not form.get("case_id"):
        return board_page(visit, status=422, teacher_id=form.get("teacher_id", ""),
                          error=visit.gettext(N_("Choose a child waiting for a mentor.")))
    return record_step(request, form["case_id"], "pair_mentor", {**form, "next": "/board"})


def board_page(visit: SignedIn, *, kind: str = "", assignee: str = "", min_days: str = "",
               class_name: str = "", teacher_id: str = "", error: str | None = None,
               status: int = 200) -> Response:
    """The board, filtered; ``error`` says why a pairing was not sent (the mentor chosen,
    ``teacher_id``, stays chosen)."""
    caretrail, schools = visit.caretrail, visit.user.schools
    now = caretrail.clock()
    days = days_filter(min_days)
    overdue = caretrail.read.tasks(
        now=now, status=TaskStatus.OVERDUE, school_ids=schools, kind=kind or None,
        assignee_id=assignee.strip() or None, min_days_overdue=days, class_name=class_name or None,
        limit=PAGE,
    )
    summary = caretrail.read.overdue_summary(school_ids=schools, now=now)
    waiting = caretrail.read.tasks(now=now, status=TaskStatus.OPEN, school_ids=schools,
                                   kind="mentor_pairing", limit=PAGE)
    by_kind: dict[str, int] = {}
    for count in summary:
        by_kind[count.kind] = by_kind.get(count.kind, 0) + count.count
    lines = task_lines(visit, overdue.items)
    return render(
        visit, "board.html", status=status, lines=lines,
        by_kind=sorted(by_kind.items(), key=lambda kv: -kv[1]), most=max(by_kind.values(), default=1),
        by_class=caretrail.read.overdue_by_class(school_ids=schools, now=now), class_name=class_name,
        by_assignee=summary[:15], escalated=[line for line in lines if line.row.escalation_level > 0],
        waiting=task_lines(visit, waiting.items), mentors=mentors(visit),
        can_pair=visit.can(step_permission(PairMentor).value), teacher_id=teacher_id, error=error,
        capacity=caretrail.settings.mentor_capacity, kinds=sorted({c.kind for c in summary}),
        kind=kind, assignee=assignee, min_days=min_days, more=overdue.next_cursor is not None,
    )


def days_filter(text: str) -> int:
    """A count of days typed in the filter (anything else: no filter)."""
    text = text.strip()
    return min(int(text), 3650) if text.isdecimal() and len(text) <= 6 else 0


def mentors(visit: SignedIn) -> dict[str, list[Mentor]]:
    """For each of the visitor's schools, the active teachers of its roster who take
    mentees, with the children they mentor there, least loaded first; those who are full
    last (still offered: choosing one is refused in words, with their count). A case is
    paired only within its school."""
    capacity = visit.caretrail.settings.mentor_capacity
    found: dict[str, list[Mentor]] = {}
    for school in visit.user.schools:
        loads = visit.caretrail.read.mentor_loads(school_ids=[school])
        teachers = [t for t in visit.accounts.roster.active(school) if TeacherRole.MENTOR in t.roles]
        found[school] = sorted(
            (Mentor(t.teacher_id, t.name or t.teacher_id, loads.get(t.teacher_id, 0)) for t in teachers),
            key=lambda m: (m.load >= capacity, m.load, m.user_id),
        )
    return found


__all__ = ["TaskLine", "router"]
