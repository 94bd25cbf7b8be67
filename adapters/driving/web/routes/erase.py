"""Erasing a child's personal data from the case page: a supervisor confirms, with a reason."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from adapters.driving.erasure import erase_case
from adapters.driving.web.names import CHOICES, ERRORS, N_
from adapters.driving.web.pages import SignedIn, check_form, render, signed_in
from adapters.driving.web.routes.cases import not_found, refusal, scoped_case
from domain.case import Case
from domain.errors import DomainError
from domain.values import Actor, ErasureReason
from workflows.commands import EraseCase

router = APIRouter(include_in_schema=False)
PERMISSION = "case:erase"


@router.get("/cases/{case_id}/erase")
def erase_form(request: Request, case_id: str) -> Response:
    """What an erasure does, the reasons to choose from, and the confirmation."""
    visit = signed_in(request)
    if not visit.can(PERMISSION):
        return _forbidden(visit)
    case = scoped_case(visit, case_id, "web-erase")
    if case is None:
        return not_found(visit)
    return _page(visit, case, "", None)


@router.post("/cases/{case_id}/erase")
async def erase(request: Request, case_id: str) -> Response:
    """Erase, then back to the case page (which now shows the skeleton alone)."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    return await run_in_threadpool(_erase, request, case_id, form)


def _erase(request: Request, case_id: str, form: dict[str, str]) -> Response:
    visit = signed_in(request)
    check_form(visit, form)
    if not visit.can(PERMISSION):
        return _forbidden(visit)
    case = scoped_case(visit, case_id, "web-erase")
    if case is None:
        return not_found(visit)
    reason = form.get("reason", "")
    if reason not in set(ErasureReason) or form.get("confirm") != "yes":
        error = N_("Choose a reason and tick the confirmation.")
        return _page(visit, case, reason, visit.gettext(error), status=422)
    actor = Actor(user_id=visit.user.user_id, role=visit.user.role.domain_role)
    try:
        erase_case(visit.caretrail, EraseCase(case_id=case.id, reason=ErasureReason(reason)), actor,
                   accounts=visit.accounts)
    except DomainError as e:
        return _page(visit, case, reason, refusal(visit, e), status=409)
    return RedirectResponse(f"/cases/{case.id}?erased=1", status_code=303)


def _page(visit: SignedIn, case: Case, reason: str, error: str | None, status: int = 200) -> Response:
    reasons = [(r.value, CHOICES.get(r.value, r.value)) for r in ErasureReason]
    return render(visit, "erase.html", status=status, case=case, reasons=reasons, reason=reason,
                  error=error)


def _forbidden(visit: SignedIn) -> Response:
    return render(visit, "error.html", status=403, title=visit.gettext(N_("Not allowed")),
                  message=visit.gettext(ERRORS["forbidden"]))
