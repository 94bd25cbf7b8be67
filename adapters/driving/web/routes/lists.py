"""The overdue board's list and the case list as files (``.xlsx`` or CSV), filtered as on
screen: the download links of ``/board`` and ``/cases``. Ids, classes, states and dates,
no child's name (a named list is the API's ``named=true``, with a purpose)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from adapters.driving.reporting import every_page
from adapters.driving.web.names import N_
from adapters.driving.web.pages import SignedIn, render, signed_in
from adapters.driving.web.report_files import FORMATS, Table, case_table, file_bytes, task_table
from adapters.driving.web.routes.board import days_filter
from projections.queries import TaskStatus

router = APIRouter(include_in_schema=False)


@router.get("/lists/overdue")
def overdue_file(request: Request, format: str = "xlsx", kind: str = "", assignee: str = "",
                 min_days: str = "", class_name: str = "") -> Response:
    """The board's overdue tasks with the board's filters, every page."""
    visit = signed_in(request)
    if not visit.can("tasks:all"):
        return _forbidden(visit)
    if format not in FORMATS:
        return _bad_format(visit)
    caretrail = visit.caretrail
    rows = every_page(
        caretrail.read.tasks, now=caretrail.clock(), status=TaskStatus.OVERDUE,
        school_ids=visit.user.schools, kind=kind or None, assignee_id=assignee.strip() or None,
        min_days_overdue=days_filter(min_days), class_name=class_name or None)
    return _download([task_table(rows, visit.locale, local=visit.local)], format, "overdue")


@router.get("/lists/cases")
def cases_file(request: Request, format: str = "xlsx", school: str = "", state: str = "") -> Response:
    """The case list with the case page's filters (a school of the visitor's, a state)."""
    visit = signed_in(request)
    if not visit.can("case:read"):
        return _forbidden(visit)
    if format not in FORMATS:
        return _bad_format(visit)
    schools = visit.user.schools
    rows = every_page(visit.caretrail.read.cases, school_ids=[school] if school in schools else schools,
                      state=state or None)
    return _download([case_table(rows, visit.locale, local=visit.local)], format, "cases")


def _download(tables: list[Table], fmt: str, name: str) -> Response:
    media, suffix = FORMATS[fmt]
    return Response(file_bytes(tables, fmt), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{suffix}"',
                             "Cache-Control": "no-store"})


def _forbidden(visit: SignedIn) -> Response:
    return render(visit, "error.html", status=403, title=visit.gettext(N_("Not allowed")),
                  message=visit.gettext(N_("Your role does not allow this.")))


def _bad_format(visit: SignedIn) -> Response:
    return render(visit, "error.html", status=422, title=visit.gettext(N_("Not allowed")),
                  message=visit.gettext(N_("Choose Excel or CSV.")))
