"""The upload page of a school's registers (supervisors): ``/imports``.

The page posts the file with the same choices as ``caretrail import``: which school,
children or teachers, a dry run (ticked by default: check first, then import). The
report lists every refused row with its reason in the visitor's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from adapters.driving.api.permissions import Permission
from adapters.driving.imports.reading import MAX_BYTES, FileRefused
from adapters.driving.imports.run import ImportReport
from adapters.driving.imports.service import Imports, describe
from adapters.driving.web.names import N_
from adapters.driving.web.pages import SignedIn, check_form, render, signed_in
from domain.values import Actor

router = APIRouter(include_in_schema=False)
KINDS = {"children": N_("Children (花名册)"), "teachers": N_("Teachers (教师名单)")}


@dataclass(frozen=True)
class Choices:
    """What the visitor chose on the form (kept on the page after a refusal)."""

    school: str
    kind: str = "children"
    dry_run: bool = True


def _page(visit: SignedIn, chosen: Choices, status: int = 200, *, error: str | None = None,
          report: ImportReport | None = None) -> Response:
    return render(visit, "imports.html", status=status, schools=visit.user.schools,
                  school=chosen.school, kind=chosen.kind, kinds=KINDS, dry_run=chosen.dry_run,
                  error=error, report=report, lines=report.lines(visit.locale) if report else [],
                  limit=MAX_BYTES // 2**20)


def _forbidden(visit: SignedIn) -> Response:
    return render(visit, "error.html", status=403, title=visit.gettext(N_("Not allowed")),
                  message=visit.gettext(N_("Your role does not allow this.")))


@router.get("/imports")
def import_form(request: Request) -> Response:
    """The upload form."""
    visit = signed_in(request)
    if not visit.can(Permission.REGISTER_IMPORT):
        return _forbidden(visit)
    return _page(visit, Choices(visit.user.schools[0] if visit.user.schools else ""))


@router.post("/imports")
def upload(
    request: Request, file: Annotated[UploadFile | None, File()] = None,
    school: Annotated[str, Form(max_length=64)] = "", kind: Annotated[str, Form(max_length=20)] = "",
    dry_run: Annotated[str, Form(max_length=10)] = "", csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check or import the uploaded register; the page again with the report."""
    visit = signed_in(request)
    check_form(visit, {"csrf": csrf})
    if not visit.can(Permission.REGISTER_IMPORT):
        return _forbidden(visit)
    kept = Choices(school, kind if kind in KINDS else "children", bool(dry_run))
    if school not in visit.user.schools:
        return _page(visit, kept, 422, error=visit.gettext(N_("Choose one of your schools.")))
    data = file.file.read(MAX_BYTES + 1) if file is not None else b""
    if file is None or not file.filename:
        return _page(visit, kept, 422, error=visit.gettext(N_("Choose the register's file.")))
    imports = Imports(visit.caretrail, visit.accounts)
    try:
        if len(data) > MAX_BYTES:
            raise FileRefused("too-large", limit=MAX_BYTES // 2**20)
        if kept.kind == "teachers":
            report = imports.teachers(data, file.filename, school, dry_run=kept.dry_run)
        else:
            actor = Actor(user_id=visit.user.user_id, role=visit.user.role.domain_role)
            report = imports.children(data, file.filename, school, actor, dry_run=kept.dry_run)
    except FileRefused as e:
        return _page(visit, kept, 422, error=describe(e, visit.locale))
    return _page(visit, kept, report=report)
