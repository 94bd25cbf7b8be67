"""Errors as ``application/problem+json`` (RFC 9457): one catalogue, one handler.

Every problem has a stable ``type`` (``/api/v1/problems/<code>``, which serves its
description) and a fixed HTTP status. Domain errors carry their ``code``; the API's own
refusals carry theirs; framework errors (validation, unknown route) get one here.
No problem body ever echoes the request's input: it might hold a child's name.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException
from starlette.responses import Response

from adapters.driving.api.errors import ApiError
from adapters.driving.api.methods import allowed_methods
from domain.errors import DomainError, IllegalStep
from projections.queries import BadCursor
from workflows.errors import VersionConflict
from workflows.registry import UnknownWorkflow

PROBLEM_BASE = "/api/v1/problems/"
MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger("caretrail.api")


@dataclass(frozen=True)
class ProblemType:
    """What one problem type means and which status it answers with."""

    status: int
    title: str


CATALOGUE: dict[str, ProblemType] = {
    # refusals by the domain and the use cases
    "illegal-step": ProblemType(409, "This step is not allowed in the case's current state"),
    "case-exists": ProblemType(409, "This child already has a case"),
    "case-not-found": ProblemType(404, "No such case"),
    "case-erased": ProblemType(409, "The case was erased: it takes no further steps"),
    "already-erased": ProblemType(409, "The case is already erased"),
    "not-permitted": ProblemType(403, "Your role may not take this step"),
    "version-not-found": ProblemType(404, "The case has not reached this version"),
    "mentor-at-capacity": ProblemType(409, "The mentor already has the maximum number of children"),
    "assignee-not-eligible": ProblemType(
        422, "The head teacher or mentor is not an active teacher of the case's school"),
    "concurrent-update": ProblemType(409, "The case kept changing under this command; try again"),
    "version-conflict": ProblemType(412, "The case is no longer at the version in If-Match"),
    "invalid-command": ProblemType(422, "The command contradicts the case"),
    "occurred-in-future": ProblemType(422, "occurred_at lies in the future"),
    "occurred-before-case": ProblemType(422, "occurred_at precedes the case"),
    "follow-up-not-open": ProblemType(422, "The follow-up is unknown, done or cancelled"),
    "domain-error": ProblemType(422, "The command was refused"),
    "unknown-workflow": ProblemType(422, "No such workflow is published"),
    # refusals by the HTTP layer
    "validation-error": ProblemType(422, "The request is not valid"),
    "bad-cursor": ProblemType(422, "The pagination cursor was not made by this service"),
    "unauthenticated": ProblemType(401, "A valid bearer token is required"),
    "forbidden": ProblemType(403, "Your role does not allow this"),
    "school-out-of-scope": ProblemType(403, "You are not attached to this school"),
    "purpose-required": ProblemType(422, "State the purpose of this read (X-Purpose or ?purpose=)"),
    "idempotency-key-reused": ProblemType(422, "This Idempotency-Key was used for another request"),
    "idempotency-key-in-flight": ProblemType(409, "A request with this Idempotency-Key is still running"),
    "position-unknown": ProblemType(422, "min_position lies beyond the end of the event log"),
    "school-required": ProblemType(422, "Say which school (school_id)"),
    "register-refused": ProblemType(422, "The file is not a register that can be imported"),
    "views-behind": ProblemType(503, "The read models have not reached min_position yet"),
    "not-ready": ProblemType(503, "The service is not ready"),
    "malformed-request": ProblemType(400, "The request body could not be read (not UTF-8 JSON?)"),
    "not-found": ProblemType(404, "No such resource"),
    "method-not-allowed": ProblemType(405, "Method not allowed on this resource"),
    "body-too-large": ProblemType(413, "The request body is too large"),
    "too-many-heavy-reads": ProblemType(429, "Too many exports at once; retry after Retry-After seconds"),
    "headers-too-large": ProblemType(431, "The request's header fields are too large or too many"),
    "unsupported-media-type": ProblemType(415, "Send JSON (Content-Type: application/json)"),
    "http-error": ProblemType(400, "The request was refused"),
    "internal-error": ProblemType(500, "Internal error: the request id identifies it in the logs"),
}
_HTTP_CODES = {400: "malformed-request", 404: "not-found", 405: "method-not-allowed", 413: "body-too-large",
               415: "unsupported-media-type"}


class FieldProblem(BaseModel):
    """One invalid field of a request (never its value)."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem; extension members appear when they apply."""

    model_config = ConfigDict(extra="forbid")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    #: illegal-step: the case's state and the actions allowed in it
    state: str | None = None
    allowed: list[str] | None = None
    #: version-conflict: the version the case is at
    current_version: int | None = None
    #: validation-error: what is wrong, field by field
    errors: list[FieldProblem] | None = None


def problem_type(code: str) -> str:
    """The ``type`` URI of a problem code."""
    return PROBLEM_BASE + code


def _describe(exc: Exception) -> tuple[str, int, str | None, dict[str, Any], dict[str, str]]:
    """(code, status, detail, extension members, headers) of an exception."""
    match exc:
        case ApiError():
            return exc.code, exc.status, str(exc) or None, {}, dict(exc.headers or {})
        case IllegalStep():
            return exc.code, 409, str(exc), {"state": exc.state, "allowed": list(exc.allowed)}, {}
        case VersionConflict():
            return exc.code, 412, str(exc), {"current_version": exc.actual}, {}
        case DomainError():
            code = exc.code if exc.code in CATALOGUE else "domain-error"
            return code, CATALOGUE[code].status, str(exc), {}, {}
        case UnknownWorkflow():
            return "unknown-workflow", 422, str(exc), {}, {}
        case BadCursor():
            return "bad-cursor", 422, str(exc), {}, {}
        case RequestValidationError() if exc.errors() and all(
            e.get("type") == "json_invalid" for e in exc.errors()
        ):
            # Not a wrong field: the body is not JSON at all (the position, not the text).
            return "malformed-request", 400, "the body is not valid JSON", {}, {}
        case RequestValidationError():
            errors = [
                FieldProblem(loc=[p for p in e.get("loc", ()) if isinstance(p, str | int)],
                             msg=str(e.get("msg", "")), type=str(e.get("type", "")))
                for e in exc.errors()
            ]
            return "validation-error", 422, f"{len(errors)} invalid field(s)", {"errors": errors}, {}
        case HTTPException():
            code = _HTTP_CODES.get(exc.status_code, "http-error")
            detail = exc.detail if isinstance(exc.detail, str) else None
            return code, exc.status_code, detail, {}, dict(exc.headers or {})
    return "internal-error", 500, None, {}, {}


def problem_response(request: Request, exc: Exception) -> Response:
    """The one exception handler: any exception becomes a problem+json response."""
    code, status, detail, extra, headers = _describe(exc)
    if status == 405:
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope["path"]))
    request_id = request.scope.get("caretrail.request_id")
    if status >= 500 and code == "internal-error":
        frames = [f"{f.filename}:{f.lineno}:{f.name}" for f in traceback.extract_tb(exc.__traceback__)]
        # Type and frames only: an exception's message may quote input (a child's name).
        log.error("unhandled_error", request_id=request_id, error=type(exc).__name__,
                  frames=frames[-8:])
    problem = Problem(
        type=problem_type(code), title=CATALOGUE[code].title, status=status, detail=detail,
        instance=request.url.path, request_id=request_id, **extra,
    )
    return Response(
        problem.model_dump_json(exclude_none=True), status_code=status, media_type=MEDIA_TYPE,
        headers=headers,
    )


async def _handle(request: Request, exc: Exception) -> Response:
    error_page = getattr(request.app.state, "error_page", None)
    if error_page is not None and not request.url.path.startswith("/api/"):
        code, status, *_ = _describe(exc)
        if status >= 500:
            problem_response(request, exc)  # logs the error as for the API
        return error_page(request, status, code)  # type: ignore[no-any-return]
    return problem_response(request, exc)


def install(app: FastAPI) -> None:
    """Route every error class to the one handler."""
    for cls in (ApiError, DomainError, UnknownWorkflow, BadCursor, RequestValidationError,
                HTTPException, Exception):
        app.add_exception_handler(cls, _handle)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries declaring problem+json bodies for these statuses."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        str(status): {"description": _DESCRIPTIONS.get(status, "Problem"),
                 "content": {MEDIA_TYPE: {"schema": schema}}}
        for status in statuses
    }


_DESCRIPTIONS = {
    400: "Body could not be read", 401: "Missing, unknown, expired or revoked token",
    403: "Out of role or school",
    404: "Not found (or outside your schools)", 409: "Illegal step or concurrent change",
    412: "If-Match names another version", 413: "Body too large",
    415: "Body is not JSON", 422: "Invalid request", 429: "Too many exports at once",
    503: "Not ready or views behind",
}
