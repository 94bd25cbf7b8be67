"""``/reports`` and ``/exports``: the report of one's schools for a period, and the task and
case lists as files (``.xlsx`` or CSV, headers in Chinese or English), filtered as the
lists are.

Counts carry no child. A named list (``named=true``) takes ``history:export`` besides the
route's permission and a stated purpose, and every child on it goes to the access log
before the file is made. A file is built whole, inside one heavy-read slot.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from adapters.driving.api.deps import Caller, HeaderPurpose, Purpose, Schools, allow, note
from adapters.driving.api.errors import Forbidden, PurposeRequired
from adapters.driving.api.heavy_reads import HeavySlot
from adapters.driving.api.permissions import Permission, granted
from adapters.driving.api.problems import problem_responses
from adapters.driving.reporting import (
    BadPeriod,
    every_page,
    make_report,
    named_children,
    names_of,
    period,
)
from adapters.driving.web.i18n import negotiate
from adapters.driving.web.report_files import (
    FORMATS,
    Table,
    case_table,
    file_bytes,
    named_table,
    report_tables,
    task_table,
)
from domain.values import AssigneeRole, Ident, RiskLevel
from projections.reports import Report
from projections.rows import TaskStatus

router = APIRouter(tags=["reports"])
FileFormat = Literal["xlsx", "csv"]
Lang = Annotated[Literal["zh_CN", "en"] | None, Query(
    description="Headers' language (default: Accept-Language, else zh_CN).")]
Named = Annotated[bool, Query(description="Add the children's names (history:export and a "
                                          "purpose; every child is access-logged).")]
XPurpose = Annotated[HeaderPurpose | None, Header(alias="X-Purpose",
                                                  description="Why you need the names (access log).")]
QPurpose = Annotated[Purpose | None, Query(description="Same as X-Purpose, for non-ASCII text.")]


def _files(description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {
        FORMATS["xlsx"][0]: {"schema": {"type": "string", "format": "binary"}},
        "text/csv": {"schema": {"type": "string"}}}}}


@router.get(
    "/reports", response_model=Report,
    responses={**_files("The report (format=json: as JSON)"), **problem_responses(403, 422, 429)},
)
def get_report(
    caller: Annotated[Caller, allow(Permission.REPORTS_READ)],
    request: Request,
    slot: HeavySlot,
    schools: Schools,
    first: Annotated[date | None, Query(alias="from", description="First day (default: the term's).")] = None,
    last: Annotated[date | None, Query(alias="to", description="Last day, included.")] = None,
    format: Literal["json", "xlsx", "csv"] = "json",
    lang: Lang = None,
    named: Named = False,
    x_purpose: XPurpose = None,
    purpose: QPurpose = None,
) -> Any:
    """The report on your schools (or those named: school_id, repeatable) over a period:
    children by state and risk, home visits, pairings, counselling, contacts, escalations,
    tasks on time / late / overdue by kind and class. No child's name unless ``named``."""
    try:
        caretrail = caller.caretrail
        try:
            when = period(caretrail, first, last)
        except BadPeriod as e:
            raise RequestValidationError([{"loc": ("query", "to"), "msg": str(e),
                                           "type": "bad_period"}]) from None
        stated = _named(caller, named, x_purpose or purpose, format)
        made = make_report(caretrail, schools, when)
        if format == "json":
            return made
        locale = negotiate(lang, request.headers.get("accept-language"))
        tables = report_tables(made, locale, local=_local(caller))
        if stated:
            rows, logged = named_children(caretrail, schools, when)
            _log(caller, request, logged, "report-named", stated)
            tables.append(named_table(rows, locale))
        return _file(tables, format, f"report-{when.first}-{when.last}")
    finally:
        slot.release()


@router.get(
    "/exports/follow-ups", response_class=Response,
    responses={**_files("The task list as a file"), **problem_responses(403, 422, 429)},
)
def export_follow_ups(
    caller: Annotated[Caller, allow(Permission.TASKS_ALL)],
    request: Request,
    slot: HeavySlot,
    schools: Schools,
    status: TaskStatus = TaskStatus.OPEN,
    assignee_id: Annotated[Ident | None, Query()] = None,
    assignee_role: Annotated[AssigneeRole | None, Query()] = None,
    kind: Annotated[Ident | None, Query()] = None,
    class_name: Annotated[str | None, Query(max_length=100)] = None,
    min_days_overdue: Annotated[int, Query(ge=0, le=3650, description="With status=overdue.")] = 0,
    due_within_days: Annotated[int | None, Query(ge=0, le=366)] = None,
    format: FileFormat = "xlsx",
    lang: Lang = None,
    named: Named = False,
    x_purpose: XPurpose = None,
    purpose: QPurpose = None,
) -> Response:
    """The tasks of ``/follow-ups`` with the same filters, every page, as a file."""
    try:
        stated = _named(caller, named, x_purpose or purpose, format)
        caretrail = caller.caretrail
        rows = every_page(
            caretrail.read.tasks, now=caretrail.clock(), status=status, school_ids=schools,
            assignee_id=assignee_id, assignee_role=assignee_role.value if assignee_role else None,
            kind=kind, min_days_overdue=min_days_overdue, due_within_days=due_within_days,
            class_name=class_name or None)
        names = _names(caller, request, rows, stated, "export-follow-ups-named")
        locale = negotiate(lang, request.headers.get("accept-language"))
        return _file([task_table(rows, locale, local=_local(caller), names=names)], format,
                     f"tasks-{status.value}")
    finally:
        slot.release()


@router.get(
    "/exports/cases", response_class=Response,
    responses={**_files("The case list as a file"), **problem_responses(403, 422, 429)},
)
def export_cases(
    caller: Annotated[Caller, allow(Permission.CASE_READ)],
    request: Request,
    slot: HeavySlot,
    schools: Schools,
    state: Annotated[Ident | None, Query()] = None,
    mentor_id: Annotated[Ident | None, Query()] = None,
    head_teacher_id: Annotated[Ident | None, Query()] = None,
    risk_level: Annotated[RiskLevel | None, Query()] = None,
    format: FileFormat = "xlsx",
    lang: Lang = None,
    named: Named = False,
    x_purpose: XPurpose = None,
    purpose: QPurpose = None,
) -> Response:
    """The cases of ``/cases`` with the same filters, every page, as a file."""
    try:
        stated = _named(caller, named, x_purpose or purpose, format)
        rows = every_page(caller.caretrail.read.cases, school_ids=schools, state=state,
                          mentor_id=mentor_id, head_teacher_id=head_teacher_id, risk_level=risk_level)
        names = _names(caller, request, rows, stated, "export-cases-named")
        locale = negotiate(lang, request.headers.get("accept-language"))
        return _file([case_table(rows, locale, local=_local(caller), names=names)], format, "cases")
    finally:
        slot.release()


def _named(caller: Caller, named: bool, purpose: str | None, fmt: str) -> str | None:
    """The stated purpose of a named list (None: no names asked for); refused without the
    right, without a purpose, or as JSON."""
    if not named:
        return None
    if not granted(caller.user.role, Permission.HISTORY_EXPORT):
        raise Forbidden(f"the {caller.user.role} role may not list children by name")
    if not purpose:
        raise PurposeRequired("a named list needs a purpose: X-Purpose header or ?purpose=")
    if fmt == "json":
        raise RequestValidationError([{"loc": ("query", "named"), "msg": "a named list is a file: "
                                       "format=xlsx or csv", "type": "named_json"}])
    return purpose


def _names(caller: Caller, request: Request, rows: Any, purpose: str | None,
           resource: str) -> dict[str, str] | None:
    if purpose is None:
        return None
    names, logged = names_of(caller.caretrail, rows)
    _log(caller, request, logged, resource, purpose)
    return names


def _log(caller: Caller, request: Request, logged: list[tuple[str, str | None]], resource: str,
         purpose: str) -> None:
    note(request, named=len(logged))
    caller.accounts.record_accesses(caller.user, logged, resource=resource, purpose=purpose,
                                    request_id=request.scope.get("caretrail.request_id"))


def _local(caller: Caller) -> Callable[[Any], str]:
    tz = ZoneInfo(caller.caretrail.settings.timezone)
    return lambda moment: moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _file(tables: list[Table], fmt: str, name: str) -> Response:
    media, suffix = FORMATS[fmt]
    return Response(file_bytes(tables, fmt), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}.{suffix}"', "Cache-Control": "no-store"})

