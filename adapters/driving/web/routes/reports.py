"""工作报告: the report of a school, or of all the visitor's schools (the county's), for a
period — on a page that prints as the yearly report to the education bureau, and as a
workbook or CSV; the named list (children by name) for those allowed, with a purpose.

The page shows the same tables the files hold (``report_files.report_tables``); counts
only, so nothing goes to the access log unless the named list is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from adapters.driving.reporting import BadPeriod, Period, current_term, make_report, named_children, period
from adapters.driving.web.names import N_
from adapters.driving.web.pages import SignedIn, check_form, render, signed_in
from adapters.driving.web.report_files import FORMATS, Table, file_bytes, named_table, report_tables

router = APIRouter(include_in_schema=False)


@dataclass
class Asked:
    """What the visitor asked for, as typed (kept on the page when it is refused)."""

    school: str = ""
    first: str = ""
    last: str = ""

    def query(self, **more: str) -> str:
        """The asking as a URL query (for the download links)."""
        return urlencode({"school": self.school, "from": self.first, "to": self.last, **more})


@router.get("/reports")
def reports(request: Request, school: str = "") -> Response:
    """The period form and, for a period given or the current term, the report's tables."""
    visit = signed_in(request)
    asked = Asked(school.strip(), request.query_params.get("from", "").strip(),
                  request.query_params.get("to", "").strip())
    refused = _refusal(visit, asked)
    if refused is not None:
        return refused
    when = period(visit.caretrail, asked.first, asked.last)
    schools = _schools(visit, asked)
    made = make_report(visit.caretrail, schools, when)
    tables = report_tables(made, visit.locale, local=visit.local)
    return _page(visit, asked, tables=tables, when=when)


@router.get("/reports/file")
def report_file(request: Request, school: str = "", format: str = "xlsx") -> Response:
    """The report as ``.xlsx`` or CSV, for the same asking as the page."""
    visit = signed_in(request)
    asked = Asked(school.strip(), request.query_params.get("from", "").strip(),
                  request.query_params.get("to", "").strip())
    refused = _refusal(visit, asked, format)
    if refused is not None:
        return refused
    when = period(visit.caretrail, asked.first, asked.last)
    made = make_report(visit.caretrail, _schools(visit, asked), when)
    return _download(report_tables(made, visit.locale, local=visit.local), format, when)


@router.post("/reports/named")
def named_file(
    request: Request, csrf: Annotated[str, Form(max_length=200)] = "",
    school: Annotated[str, Form(max_length=100)] = "",
    first: Annotated[str, Form(alias="from", max_length=40)] = "",
    last: Annotated[str, Form(alias="to", max_length=40)] = "",
    purpose: Annotated[str, Form(max_length=200)] = "",
    format: Annotated[str, Form(max_length=10)] = "xlsx",
) -> Response:
    """The report with the named list of its children: a supervisor's or inspector's, with
    a purpose; every child on it is written to the access log first."""
    visit = signed_in(request)
    check_form(visit, {"csrf": csrf})
    asked = Asked(school.strip(), first.strip(), last.strip())
    refused = _refusal(visit, asked, format, named=True)
    if refused is not None:
        return refused
    when = period(visit.caretrail, asked.first, asked.last)
    schools = _schools(visit, asked)
    if not purpose.strip():
        made = make_report(visit.caretrail, schools, when)
        tables = report_tables(made, visit.locale, local=visit.local)
        return _page(visit, asked, status=422, tables=tables, when=when, purpose=purpose,
                     purpose_error=visit.gettext(N_("Say why you need the children's names.")))
    made = make_report(visit.caretrail, schools, when)
    rows, logged = named_children(visit.caretrail, schools, when)
    visit.accounts.record_accesses(visit.user, logged, resource="web-report-named",
                                   purpose=purpose.strip(),
                                   request_id=visit.request.scope.get("caretrail.request_id"))
    tables = [*report_tables(made, visit.locale, local=visit.local), named_table(rows, visit.locale)]
    return _download(tables, format, when)


def _refusal(
    visit: SignedIn, asked: Asked, fmt: str = "xlsx", *, named: bool = False
) -> Response | None:
    """The page that refuses this asking, if it is refused: no right, a school not theirs, a
    bad period or format (the form keeps what was typed)."""
    if not visit.can("reports:read") or (named and not visit.can("history:export")):
        return render(visit, "error.html", status=403, title=visit.gettext(N_("Reports")),
                      message=visit.gettext(N_("Your role does not allow this.")))
    if asked.school and asked.school not in visit.user.schools:
        return _page(visit, asked, status=404,
                     error=visit.gettext(N_("You have no school of that name.")))
    if fmt not in FORMATS:
        return _page(visit, asked, status=422, error=visit.gettext(N_("Choose Excel or CSV.")))
    try:
        period(visit.caretrail, asked.first, asked.last)
    except BadPeriod:
        return _page(visit, asked, status=422, error=visit.gettext(
            N_("Give the period as two dates, the first on or before the last.")))
    return None


def _schools(visit: SignedIn, asked: Asked) -> list[str]:
    return [asked.school] if asked.school else sorted(visit.user.schools)


def _page(visit: SignedIn, asked: Asked, *, status: int = 200, tables: list[Table] | None = None,
          when: Period | None = None, error: str | None = None, purpose: str = "",
          purpose_error: str | None = None) -> Response:
    start, end = current_term(visit.caretrail)
    return render(visit, "reports.html", status=status, asked=asked, tables=tables or [], when=when,
                  error=error, purpose=purpose, purpose_error=purpose_error,
                  schools=sorted(visit.user.schools),
                  term_first=start.isoformat(), term_last=end.isoformat(),
                  can_name=visit.can("history:export"))


def _download(tables: list[Table], fmt: str, when: Period) -> Response:
    media, suffix = FORMATS[fmt]
    name = f"report-{when.first}-{when.last}.{suffix}"
    return Response(file_bytes(tables, fmt), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})
