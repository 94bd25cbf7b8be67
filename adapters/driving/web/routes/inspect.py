"""For inspectors (督导) and everyone who reads cases: find a case, the case as it stood on
a date, the access log, and a history exported as a file Excel opens in Chinese."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from adapters.driving.api.errors import TooManyHeavyReads
from adapters.driving.api.heavy_reads import StreamingWithSlot
from adapters.driving.exports import HISTORY_COLUMNS, csv_lines, history_rows
from adapters.driving.web.names import ERRORS, N_
from adapters.driving.web.pages import SignedIn, check_form, render, signed_in
from adapters.driving.web.timeline import timeline
from domain.errors import CaseNotFound

router = APIRouter(include_in_schema=False)
LOG_PAGE = 100


@router.get("/cases")
def find(request: Request, school: str = "", student_no: str = "", state: str = "") -> Response:
    """Find a case by school and student number, or list a school's cases."""
    visit = signed_in(request)
    if not visit.can("case:read"):
        return _forbidden(visit)
    schools = visit.user.schools
    if student_no.strip() and school in schools:
        case_id = visit.caretrail.cases.case_id_for(school, student_no.strip())
        if visit.caretrail.cases.has_events(case_id):
            return RedirectResponse(f"/cases/{case_id}", status_code=303)
        return render(visit, "find.html", status=404, rows=[], school=school, student_no=student_no,
                      state=state, error=visit.gettext(ERRORS["case-not-found"]), more=False)
    page = visit.caretrail.read.cases(school_ids=[school] if school in schools else schools,
                                      state=state or None, limit=50)
    return render(visit, "find.html", rows=page.items, school=school, student_no=student_no, state=state,
                  error=None, more=page.next_cursor is not None)


@router.get("/cases/{case_id}/as-of")
def as_of(request: Request, case_id: str, on: str = "") -> Response:
    """The case as the system knew it at the end of a day (school time)."""
    visit = signed_in(request)
    if not visit.can("history:read"):
        return _forbidden(visit)
    found = _case_id(visit, case_id)
    if found is None:
        return _not_found(visit)
    day = _day(on) or visit.caretrail.clock().astimezone(_tz(visit)).date()
    moment = datetime.combine(day + timedelta(days=1), time(), tzinfo=_tz(visit))
    try:
        case = visit.caretrail.cases.case_as_of(found, moment)
    except CaseNotFound:
        message = visit.gettext(N_("The case did not exist yet on %(day)s."), day=day.isoformat())
        return render(visit, "error.html", status=404, title=visit.gettext(N_("As it stood")),
                      message=message)
    _logged(visit, case.id, case.school_id, "web-as-of", N_("case as of a date"))
    events = [e for e in visit.caretrail.cases.history(found) if e.originator_version <= case.version]
    return render(visit, "case.html", case=case, steps=[], notice=visit.gettext(
        N_("The case as it stood at the end of %(day)s."), day=day.isoformat()),
        events=timeline(visit, events), as_of=day.isoformat())


@router.get("/cases/{case_id}/export")
def export_form(request: Request, case_id: str) -> Response:
    """Ask why the history is exported (the purpose goes to the access log)."""
    visit = signed_in(request)
    if not visit.can("history:export"):
        return _forbidden(visit)
    found = _case_id(visit, case_id)
    if found is None:
        return _not_found(visit)
    return render(visit, "export.html", case_id=found, purpose="", error=None)


@router.post("/cases/{case_id}/export")
def export(
    request: Request, case_id: str, purpose: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The whole history as CSV (UTF-8 with a BOM, cells escaped against formulas), streamed
    a page of events at a time; as many at once as the API's exports allow (they share the
    bound: ``adapters.driving.api.heavy_reads``)."""
    visit = signed_in(request)
    check_form(visit, {"csrf": csrf})
    if not visit.can("history:export"):
        return _forbidden(visit)
    found = _case_id(visit, case_id)
    if found is None:
        return _not_found(visit)
    if not purpose.strip():
        return render(visit, "export.html", status=422, case_id=found, purpose=purpose,
                      error=visit.gettext(N_("Say why you export this history.")))
    try:
        slot = request.app.state.heavy_reads.take(visit.user.user_id)
    except TooManyHeavyReads:
        page = render(visit, "export.html", status=429, case_id=found, purpose=purpose,
                      error=visit.gettext(N_("Too many exports at once: try again in a few seconds.")))
        page.headers.update(TooManyHeavyReads.headers)
        return page
    try:
        events = visit.caretrail.cases.stream_history(found)
        _logged(visit, found, str(visit.caretrail.cases.school_of(found)), "web-history-export",
                purpose.strip())
    except BaseException:
        slot.release()
        raise
    return StreamingWithSlot(
        csv_lines(HISTORY_COLUMNS, history_rows(events)), slot, media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="case-{found}-history.csv"',
                 "Cache-Control": "no-store"})


@router.get("/access-log")
def access_log(request: Request, case_id: str = "", user: str = "", before: str = "") -> Response:
    """Who read which child's data, when, in which role, and why: newest first, a page of
    ``LOG_PAGE`` at a time, by case or by person."""
    visit = signed_in(request)
    if not visit.can("access-log:read"):
        return _forbidden(visit)
    case = _uuid(case_id.strip())
    end = int(before) if before.isdecimal() and len(before) <= 18 else 2**62
    entries = visit.accounts.store.access_log(
        school_ids=visit.user.schools, case_id=str(case) if case else None,
        user_id=user.strip() or None, before=end, limit=LOG_PAGE)
    older = entries[-1].entry_id if len(entries) == LOG_PAGE else None
    return render(visit, "access_log.html", entries=entries, case_id=case_id, user_id=user, older=older,
                  bad_case=bool(case_id.strip()) and case is None)


def _case_id(visit: SignedIn, text: str) -> UUID | None:
    """The case id if the case belongs to one of the visitor's schools (else None, as for a
    case that does not exist)."""
    found = _uuid(text)
    if found is None:
        return None
    school = visit.caretrail.cases.school_of(found)
    return found if school is not None and school in visit.user.schools else None


def _logged(visit: SignedIn, case_id: UUID, school_id: str, resource: str, purpose: str) -> None:
    visit.accounts.record_access(visit.user, case_id=str(case_id), school_id=school_id,
                                 resource=resource, purpose=purpose,
                                 request_id=visit.request.scope.get("caretrail.request_id"))


def _uuid(text: str | None) -> UUID | None:
    try:
        return UUID(text) if text else None
    except ValueError:
        return None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _tz(visit: SignedIn) -> ZoneInfo:
    return ZoneInfo(visit.caretrail.settings.timezone)


def _forbidden(visit: SignedIn) -> Response:
    return render(visit, "error.html", status=403, title=visit.gettext(N_("Not allowed")),
                  message=visit.gettext(N_("Your role does not allow this.")))


def _not_found(visit: SignedIn) -> Response:
    return render(visit, "error.html", status=404, title=visit.gettext(N_("Not found")),
                  message=visit.gettext(ERRORS["case-not-found"]))

