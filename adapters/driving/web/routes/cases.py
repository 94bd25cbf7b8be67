"""The case page and the forms of its steps: the same commands as the API, in a browser."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from adapters.driving.api.permissions import step_permission
from adapters.driving.web.forms import Field, fields_of, parse
from adapters.driving.web.names import ERRORS, KINDS, N_, STATES, STEPS
from adapters.driving.web.pages import SignedIn, check_form, render, signed_in
from adapters.driving.web.timeline import timeline
from domain.case import Case
from domain.errors import CaseNotFound, DomainError, IllegalStep, MentorAtCapacity
from domain.values import Action, Actor
from workflows.commands import STEP_COMMANDS, CaseCommand
from workflows.errors import AssigneeNotEligible, VersionConflict

router = APIRouter(include_in_schema=False)
#: How long a step waits for the views to show it before the next page is read.
WAIT_SECONDS = 2.0


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str, done: str | None = None, changed: bool = False,
              erased: bool = False) -> Response:
    """The child, the family, state and risk, open tasks, the steps allowed now, the timeline."""
    visit = signed_in(request)
    case = scoped_case(visit, case_id, "web-case")
    if case is None:
        return not_found(visit)
    notice = None
    if done in STEP_COMMANDS:
        notice = visit.gettext(N_("Recorded: %(step)s."), step=visit.gettext(_step_title(done)))
    if changed:
        notice = visit.gettext(ERRORS["version-conflict"])
    if erased:
        notice = visit.gettext(N_("The child's personal data is erased."))
    return render(visit, "case.html", case=case, steps=allowed_steps(visit, case), notice=notice,
                  events=timeline(visit, visit.caretrail.cases.history(case.id)))


@router.get("/cases/{case_id}/steps/{step}")
def step_form(request: Request, case_id: str, step: str) -> Response:
    """The form of one step, filled with what the link says (a task's kind) and now."""
    visit = signed_in(request)
    case = scoped_case(visit, case_id, "web-step")
    if case is None or step not in allowed_steps(visit, case):
        return not_found(visit) if case is None else _refused(visit, case, step)
    given = {k: v for k, v in request.query_params.items() if k != "next"}
    given.setdefault("occurred_at", visit.local(visit.caretrail.clock(), "%Y-%m-%dT%H:%M"))
    for name, value in _prefilled(visit, case, step).items():
        given.setdefault(name, value)
    return _form(visit, case, step, given, {}, request.query_params.get("next", ""), str(uuid4()))


@router.post("/cases/{case_id}/steps/{step}")
async def take_step(request: Request, case_id: str, step: str) -> Response:
    """Build the step's command from the form and hand it to the application (in the thread
    pool, as every page's store calls are)."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    return await run_in_threadpool(record_step, request, case_id, step, form)


def record_step(request: Request, case_id: str, step: str, form: dict[str, str]) -> Response:
    """A step's form, sent: the command recorded and on to the next page, or the form
    again with what was typed and why it was refused."""
    visit = signed_in(request)
    check_form(visit, form)
    case = scoped_case(visit, case_id, "web-step")
    if case is None or step not in allowed_steps(visit, case):
        return not_found(visit) if case is None else _refused(visit, case, step)
    command_id = _uuid(form.get("command_id")) or uuid4()
    expected = int(form["expected_version"]) if form.get("expected_version", "").isdigit() else None
    tz = ZoneInfo(visit.caretrail.settings.timezone)
    command, errors = parse(STEP_COMMANDS[Action(step)], form, case_id=case.id, command_id=command_id,
                            expected_version=expected, tz=tz)
    back = form.get("next", "")
    if command is None:
        return _form(visit, case, step, form, errors, back, str(command_id), status=422)
    try:
        result = visit.caretrail.cases.handle(command, Actor(user_id=visit.user.user_id,
                                                             role=visit.user.role.domain_role))
    except VersionConflict:
        return RedirectResponse(f"/cases/{case.id}?changed=1", status_code=303)
    except DomainError as e:
        return _form(visit, case, step, form, {"_": refusal(visit, e)}, back, str(uuid4()), status=409)
    # The next page (a task list, the board) is read from the views: let them catch up first
    # (bounded; a page read before they did shows the task a moment longer, nothing worse).
    visit.caretrail.runner.wait_for(result.position, WAIT_SECONDS)
    here = f"/cases/{case.id}?{urlencode({'done': step})}"
    target = back if back.startswith("/") and not back.startswith("//") else here
    return RedirectResponse(target, status_code=303)


def allowed_steps(visit: SignedIn, case: Case) -> list[str]:
    """The steps the case's workflow allows now that the visitor's role may take (the
    workflow decides, never the template)."""
    policy = visit.caretrail.registry.get(case.workflow)
    if case.erased:
        return []
    return [action.value for action in policy.allowed_actions(case.state)
            if action in STEP_COMMANDS and visit.can(step_permission(STEP_COMMANDS[action]).value)]


def refusal(visit: SignedIn, error: DomainError) -> str:
    """A refusal in the visitor's words."""
    if isinstance(error, IllegalStep):
        return visit.gettext(ERRORS["illegal-step"], state=visit.gettext(_state(error.state)))
    if isinstance(error, MentorAtCapacity):
        return visit.gettext(ERRORS["mentor-at-capacity"], teacher=error.teacher_id, capacity=error.capacity)
    if isinstance(error, AssigneeNotEligible):
        return visit.gettext(ERRORS["assignee-not-eligible"], teacher=error.user_id)
    if error.code == "invalid-command":
        return visit.gettext(ERRORS["invalid-command"], detail=str(error))
    return visit.gettext(ERRORS.get(error.code, ERRORS["domain-error"]))


def _form(visit: SignedIn, case: Case, step: str, given: dict[str, str], errors: dict[str, str],
          back: str, command_id: str, status: int = 200) -> Response:
    command: type[CaseCommand] = STEP_COMMANDS[Action(step)]
    fields = fields_of(command, given, errors)
    for field in fields:
        if field.name == "follow_up_id":
            _task_choice(visit, case, field)
    return render(visit, "step.html", status=status, case=case, step=step, title=_step_title(step),
                  fields=fields, general=errors.get("_"), back=back, command_id=command_id,
                  version=case.version, invalid=bool(errors))


def _prefilled(visit: SignedIn, case: Case, step: str) -> dict[str, str]:
    """What a consent form most often says: the guardian the case has, today."""
    if step == Action.RECORD_CONSENT:
        return {"consent.given_by": case.guardian.name, "consent.relation": case.guardian.relation,
                "consent.given_on": visit.local(visit.caretrail.clock(), "%Y-%m-%d")}
    if step == Action.WITHDRAW_CONSENT:
        return {"withdrawn_by": case.guardian.name, "relation": case.guardian.relation}
    return {}


def _task_choice(visit: SignedIn, case: Case, field: Field) -> None:
    """The task a "done by hand" form is about: one of the case's open tasks."""
    field.widget = "choice"
    def label(kind: str, due: datetime) -> str:
        return f"{visit.gettext(KINDS.get(kind, kind))} · {visit.local(due, '%m-%d')}"

    field.choices = [(str(t.follow_up_id), label(t.kind, t.due_at)) for t in case.open_follow_ups]


def scoped_case(visit: SignedIn, case_id: str, resource: str) -> Case | None:
    """The case if the visitor may read cases and it belongs to one of their schools (else
    None, as for a missing one), its read written to the access log."""
    found = _uuid(case_id)
    if found is None or not visit.can("case:read"):
        return None
    try:
        case = visit.caretrail.cases.get_case(found)
    except CaseNotFound:
        return None
    if case.school_id not in visit.user.schools:
        return None
    visit.accounts.record_access(
        visit.user, case_id=str(case.id), school_id=case.school_id, resource=resource,
        purpose="case page", request_id=visit.request.scope.get("caretrail.request_id"),
    )
    return case


def not_found(visit: SignedIn) -> Response:
    return render(visit, "error.html", status=404, title=visit.gettext(N_("Not found")),
                  message=visit.gettext(ERRORS["case-not-found"]))


def _refused(visit: SignedIn, case: Case, step: str) -> Response:
    message = visit.gettext(ERRORS["illegal-step"], state=visit.gettext(_state(case.state)))
    return render(visit, "error.html", status=409, title=visit.gettext(_step_title(step)), message=message)


def _uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text) if text else None
    except ValueError:
        return None


def _step_title(step: str) -> str:
    return STEPS.get(step, step)


def _state(state: str) -> str:
    return STATES.get(state, state)
