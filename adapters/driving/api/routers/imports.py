"""A school's registers uploaded: ``POST /schools/{school_id}/imports/children|teachers``.

Multipart: the file (``.xlsx`` or ``.csv``) and ``dry_run``. The answer is the report
(created, skipped, each refused row with its reason in the caller's language, from
``Accept-Language``); a file that is no register is a 422 problem and writes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from pydantic import BaseModel

from adapters.driving.api.deps import Caller, allow
from adapters.driving.api.errors import ApiError, SchoolOutOfScope
from adapters.driving.api.permissions import Permission
from adapters.driving.api.problems import problem_responses
from adapters.driving.imports.reading import MAX_BYTES, FileRefused
from adapters.driving.imports.service import Imports, describe
from adapters.driving.web.i18n import negotiate
from domain.values import Actor, Ident

router = APIRouter(prefix="/schools/{school_id}/imports", tags=["imports"])
SchoolPath = Annotated[Ident, Path(description="The school the register is of (one of yours).")]
Register = Annotated[UploadFile, File(description=".xlsx, or .csv in UTF-8 or GB18030; ≤ 20 MB.")]
DryRun = Annotated[bool, Form(description="Check every row and report; write nothing.")]


class RegisterRefused(ApiError):
    """Raised when an uploaded file cannot be imported at all (nothing is written)."""

    code = "register-refused"
    status = 422


class RowRefusal(BaseModel):
    """One row not imported, and why."""

    row: int
    code: str
    params: dict[str, str]
    message: str


class ImportReportOut(BaseModel):
    """What an import did (or, dry, would do)."""

    dry_run: bool
    created: int
    skipped: int
    refused: list[RowRefusal]
    created_rows: list[int]
    skipped_rows: list[int]


def _upload(caller: Caller, school_id: str, file: UploadFile, request: Request) -> tuple[bytes, str]:
    if school_id not in caller.user.schools:
        raise SchoolOutOfScope(f"you are not attached to {school_id}")
    data = file.file.read(MAX_BYTES + 1)
    locale = negotiate(None, request.headers.get("accept-language"))
    if len(data) > MAX_BYTES:
        raise RegisterRefused(describe(FileRefused("too-large", limit=MAX_BYTES // 2**20), locale))
    return data, locale


def _report(run: Any, locale: str) -> ImportReportOut:
    try:
        return ImportReportOut.model_validate(run().as_json(locale))
    except FileRefused as e:
        raise RegisterRefused(describe(e, locale)) from None


@router.post("/children", response_model=ImportReportOut, responses=problem_responses(403, 413, 422))
def import_children(
    caller: Annotated[Caller, allow(Permission.REGISTER_IMPORT)], school_id: SchoolPath,
    file: Register, request: Request, dry_run: DryRun = False,
) -> ImportReportOut:
    """Import a children's register: each good row opens a case as ``POST /cases`` would
    (a second run adds nothing); bad rows are reported with their row number."""
    data, locale = _upload(caller, school_id, file, request)
    actor = Actor(user_id=caller.user.user_id, role=caller.user.role.domain_role)
    imports = Imports(caller.caretrail, caller.accounts)
    return _report(lambda: imports.children(data, file.filename or "", school_id, actor,
                                            dry_run=dry_run), locale)


@router.post("/teachers", response_model=ImportReportOut, responses=problem_responses(403, 413, 422))
def import_teachers(
    caller: Annotated[Caller, allow(Permission.REGISTER_IMPORT)], school_id: SchoolPath,
    file: Register, request: Request, dry_run: DryRun = False,
) -> ImportReportOut:
    """Import a teachers' register onto the school's roster (工号, 姓名, 角色...)."""
    data, locale = _upload(caller, school_id, file, request)
    imports = Imports(caller.caretrail, caller.accounts)
    return _report(lambda: imports.teachers(data, file.filename or "", school_id, dry_run=dry_run),
                   locale)
