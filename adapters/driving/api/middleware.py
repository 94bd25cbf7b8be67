"""One log line per request (ids only), a request id on every response, a body size cap.

A plain ASGI middleware (no ``BaseHTTPMiddleware``: it would copy every body). Routes
and dependencies add ids to the line through ``scope["caretrail.log"]``, since context
variables set in a worker thread do not come back to this coroutine.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.driving.api.problems import problem_response

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = structlog.get_logger("caretrail.api")


class RequestLog:
    """Assigns a request id and writes one ``http_request`` line when the response is done."""

    def __init__(self, app: ASGIApp, templates: dict[int, str] | None = None) -> None:
        self.app = app
        self.templates = templates or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope["caretrail.request_id"] = request_id
        fields: dict[str, Any] = {}
        scope["caretrail.log"] = fields
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            log.info(
                "http_request",
                request_id=request_id,
                method=scope["method"],
                route=self.templates.get(id(route), getattr(route, "path", None)),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                user_id=fields.get("user_id"),
                role=fields.get("role"),
                case_id=fields.get("case_id"),
            )


def raw_header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a header (``name`` in lower case, as ASGI gives names), read
    from the raw list: no ``Headers`` object on the hot path."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _request_id(scope: Scope) -> str:
    given = raw_header(scope, b"x-request-id")
    if given is not None:
        text = given.decode("latin-1")
        if REQUEST_ID.match(text):
            return text
    return secrets.token_hex(16)  # as random as uuid4().hex and cheaper (docs/performance.md)


#: The paths that take an uploaded file (a register): they get ``uploads`` bytes.
UPLOAD_PATHS = re.compile(r"/imports(/|$)")


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` (``uploads`` on an upload path) with a 413
    problem, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, uploads: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = uploads or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.uploads if UPLOAD_PATHS.search(scope["path"]) else self.max_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            response = problem_response(Request(scope), self._too_large(limit))
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # FastAPI passes an HTTPException raised while reading the body on to
                    # the exception handler, which answers the same 413 problem.
                    raise self._too_large(limit)
            return message

        await self.app(scope, limited, send)

    @staticmethod
    def _too_large(limit: int) -> HTTPException:
        return HTTPException(413, f"request bodies are limited to {limit} bytes")


def _content_length(scope: Scope) -> int | None:
    declared = raw_header(scope, b"content-length")
    try:
        return None if declared is None else int(declared)
    except ValueError:
        return None
