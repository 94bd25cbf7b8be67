"""A school's year for its supervisor: a teacher's hand-over, the roll-over to a new school
year, closing many cases. Each form first shows the plan (what would change, nothing
written), then carries it out with the same operation the CLI and the API run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from adapters.driving.web.names import CHOICES, ERRORS, N_, ROLES
from adapters.driving.web.pages import SignedIn, check_form, render, signed_in
from adapters.driving.web.routes.cases import refusal
from domain.errors import DomainError, InvalidCommand
from domain.values import Actor, ClosureReason, valid_id
from projections.holdings import cases_held_by, open_cases_of
from workflows.bulk_close import BULK_REASONS, close_many
from workflows.hand_over import MissingSuccessor, Successors, hand_over, holdings_of
from workflows.rollover import BadMappingLine, UnknownClass, parse_mapping, plan_rollover, roll_over

router = APIRouter(include_in_schema=False)
#: Who may use these pages: a school's supervisor (the API's ``case:reassign``).
PERMISSION = "case:reassign"
Form = dict[str, str]


@dataclass
class Child:
    """A child as these pages list them (names read from the case, access logged)."""

    case_id: UUID
    name: str
    class_name: str | None
    detail: str = ""


def _page(template: str, handler: Callable[[SignedIn, Form], dict[str, Any]]) -> Any:
    """A GET showing the empty form and a POST running ``handler`` on what was typed."""

    def show(request: Request) -> Response:
        visit = signed_in(request)
        if not visit.can(PERMISSION):
            return _forbidden(visit)
        return render(visit, template, form=defaultdict(str), error=None, **handler(visit, {}))

    async def send(request: Request) -> Response:
        sent = await request.form()
        form = {k: str(v) for k, v in sent.items()}
        form["case_ids"] = ",".join(str(v) for v in sent.getlist("case_id"))
        return await run_in_threadpool(_sent, request, form)

    def _sent(request: Request, form: Form) -> Response:
        visit = signed_in(request)
        if not visit.can(PERMISSION):
            return _forbidden(visit)
        check_form(visit, form)
        try:
            context = handler(visit, form)
        except (DomainError, ValidationError) as e:
            context = {**handler(visit, {}), "error": _refusal(visit, e)}
            return render(visit, template, status=422, form=defaultdict(str, form), **context)
        return render(visit, template, form=defaultdict(str, form), error=None, **context)

    return show, send


def _forbidden(visit: SignedIn) -> Response:
    return render(visit, "error.html", status=403, title=visit.gettext(N_("Not allowed")),
                  message=visit.gettext(ERRORS["forbidden"]))


def _refusal(visit: SignedIn, error: Exception) -> str:
    """Why the operation was refused, in the visitor's words."""
    if isinstance(error, ValidationError):
        return visit.gettext(ERRORS["validation"])
    if isinstance(error, MissingSuccessor):
        return visit.gettext(N_("%(teacher)s is still %(role)s of open cases: name who takes over."),
                             teacher=error.teacher_id, role=visit.gettext(ROLES[error.role.value]))
    if isinstance(error, UnknownClass):
        message = {"unknown": N_("No child of the school is in %(classes)s: check the mapping."),
                   "unplaced": N_("Say where %(classes)s goes, or list it as graduating."),
                   "both": N_("%(classes)s is both mapped and graduating.")}[error.problem]
        return visit.gettext(message, classes="、".join(error.classes))
    if isinstance(error, BadMappingLine):
        return visit.gettext(N_("Line %(line)s of the mapping: write the class, → and where it goes."),
                             line=error.line)
    assert isinstance(error, DomainError)
    return refusal(visit, error)


def _children(visit: SignedIn, ids: list[tuple[UUID, str | None, str]], purpose: str) -> list[Child]:
    """The children of these cases by name, each read written to the access log."""
    found, schools = [], []
    for case_id, class_name, detail in ids:
        school_id, child = visit.caretrail.cases.child_of(case_id)
        found.append(Child(case_id, child.name, class_name, detail))
        schools.append((str(case_id), school_id))
    visit.accounts.record_accesses(visit.user, schools, resource="web-school-year", purpose=purpose,
                                   request_id=visit.request.scope.get("caretrail.request_id"))
    return found


# --------------------------------------------------------------------------- hand-over
def _handover(visit: SignedIn, form: Form) -> dict[str, Any]:
    if not form:
        return {"plan": None, "report": None, "refused": []}
    teacher = valid_id("teacher", form.get("teacher", ""))
    successors = Successors(**{
        name: form.get(f"to_{name}", "").strip() or None
        for name in ("mentor", "head_teacher", "counselling_teacher")})
    caretrail = visit.caretrail
    held = cases_held_by(caretrail.read, teacher, visit.user.schools)
    holdings = holdings_of(caretrail.cases, teacher, [UUID(c) for c in held])
    report = hand_over(caretrail.cases, teacher, holdings, successors,
                       _actor(visit), dry_run=form.get("action") != "run")
    def roles(roles: tuple[Any, ...], tasks: int) -> str:
        names = [visit.gettext(ROLES[r.value]) for r in roles]
        return "、".join(names) + " · " + visit.gettext(N_("%(n)s open tasks"), n=tasks)
    plan = _children(visit, [(h.case_id, h.class_name, roles(h.roles, h.open_tasks))
                             for h in report.holdings], "hand-over")
    refused = _children(visit, [
        (r.holding.case_id, r.holding.class_name, refusal_text(visit, r.code, r.reason))
        for r in report.refused], "hand-over")
    return {"plan": plan, "report": report, "refused": refused}


def refusal_text(visit: SignedIn, code: str, reason: str) -> str:
    """A refusal of one case, by its code (the message of the domain is English)."""
    if code == "mentor-at-capacity":
        return visit.gettext(N_("The new mentor already mentors the most children allowed."))
    if code == "invalid-command":
        return visit.gettext(ERRORS["invalid-command"], detail=reason)
    return visit.gettext(ERRORS.get(code, ERRORS["domain-error"]))


def _actor(visit: SignedIn) -> Actor:
    return Actor(user_id=visit.user.user_id, role=visit.user.role.domain_role)


handover_form, handover_sent = _page("school_handover.html", _handover)
router.add_api_route("/school-year/handover", handover_form, methods=["GET"])
router.add_api_route("/school-year/handover", handover_sent, methods=["POST"])


# --------------------------------------------------------------------------- roll-over
def _rollover(visit: SignedIn, form: Form) -> dict[str, Any]:
    schools = visit.user.schools
    now = visit.caretrail.clock()
    context: dict[str, Any] = {"schools": schools, "year": now.year if now.month >= 3 else now.year - 1,
                               "report": None, "classes": []}
    if not form:
        return context
    school = form.get("school", "")
    if school not in schools:
        raise InvalidCommand(f"not a school of yours: {school}")
    year = int(form["year"]) if form.get("year", "").isdecimal() and len(form["year"]) == 4 else 0
    if not 2000 <= year <= 2100:
        raise InvalidCommand("the school year is a year such as 2027")
    mapping, graduating = parse_mapping(form.get("mapping", ""))
    caretrail = visit.caretrail
    candidates = [UUID(c) for c in open_cases_of(caretrail.read, school)]
    plan = plan_rollover(caretrail.cases, school, year, candidates, mapping, graduating)
    report = roll_over(caretrail.cases, plan, _actor(visit), dry_run=form.get("action") != "run")
    counts: dict[tuple[str, str], int] = {}
    for move in (*report.moves, *report.graduates):
        target = move.to_class or visit.gettext(CHOICES["graduated"])
        counts[move.from_class, target] = counts.get((move.from_class, target), 0) + 1
    return {**context, "report": report, "classes": sorted(counts.items())}


rollover_form, rollover_sent = _page("school_rollover.html", _rollover)
router.add_api_route("/school-year/rollover", rollover_form, methods=["GET"])
router.add_api_route("/school-year/rollover", rollover_sent, methods=["POST"])


# --------------------------------------------------------------------------- closing
def _closing(visit: SignedIn, form: Form) -> dict[str, Any]:
    caretrail = visit.caretrail
    reasons = [(r.value, CHOICES[r.value]) for r in ClosureReason if r in BULK_REASONS]
    report = None
    if form:
        ids = [UUID(text) for text in form.get("case_ids", "").split(",") if text]
        reason = next((r for r in BULK_REASONS if r.value == form.get("reason")), None)
        if reason is None:
            raise InvalidCommand("choose a reason")
        report = close_many(caretrail.cases, ids, reason, _actor(visit),
                            note=form.get("note", "").strip() or None, school_ids=visit.user.schools)
        caretrail.runner.catch_up()
    rows = [caretrail.read.case(c) for s in visit.user.schools for c in open_cases_of(caretrail.read, s)]
    listed = _children(visit, [(UUID(r.case_id), r.class_name, "") for r in rows if r is not None],
                       "closing cases")
    return {"children": sorted(listed, key=lambda c: (c.class_name or "", c.name)), "reasons": reasons,
            "report": report}


closing_form, closing_sent = _page("school_closing.html", _closing)
router.add_api_route("/school-year/closing", closing_form, methods=["GET"])
router.add_api_route("/school-year/closing", closing_sent, methods=["POST"])
