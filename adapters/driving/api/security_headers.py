"""Security headers on every response: a strict Content-Security-Policy and its companions.

Every asset is the service's own, so the policy allows 'self' only (and ``data:`` images,
which Swagger UI's stylesheet uses for its icons). A page may get a policy of its own by
path, e.g. ``/docs`` allowing its one inline start-up script by hash.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


def csp_with(policy: str, directive: str, *sources: str) -> str:
    """``policy`` with ``sources`` added to one of its directives."""
    parts = []
    for part in policy.split("; "):
        name = part.split(" ", 1)[0]
        parts.append(" ".join([part, *sources]) if name == directive else part)
    return "; ".join(parts)


class SecurityHeaders:
    """Adds the headers to each response; ``policies`` maps a path to its own CSP."""

    def __init__(self, app: ASGIApp, policies: Mapping[str, str] | None = None) -> None:
        self.app = app
        self.policies = {path: policy.encode() for path, policy in (policies or {}).items()}
        self.default = CSP.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.policies.get(scope["path"], self.default)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", ()), *HEADERS, (b"content-security-policy", policy)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI, policies: Mapping[str, str] | None = None) -> None:
    """Wrap the whole middleware stack of ``app`` in :class:`SecurityHeaders`."""
    # Outside Starlette's ServerErrorMiddleware, which answers a 500 past every middleware
    # added with add_middleware: the headers are on that answer too.
    build = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        return SecurityHeaders(build(), policies)

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]
