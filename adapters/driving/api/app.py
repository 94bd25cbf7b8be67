"""The application factory: ``create_app(caretrail)`` builds the API; nothing at import time."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.telemetry import TelemetryConfig
from starlette.middleware.gzip import GZipMiddleware

from adapters.bootstrap import Caretrail, guard_assignments
from adapters.driven.auth.accounts import Accounts
from adapters.driving.api import problems
from adapters.driving.api.config import ApiConfig
from adapters.driving.api.deps import Context, QueryShape, route_permission
from adapters.driving.api.docs import install_docs
from adapters.driving.api.heavy_reads import HeavyReads
from adapters.driving.api.middleware import BodyLimit, RequestLog
from adapters.driving.api.permissions import GRANTS, Permission
from adapters.driving.api.routers import (
    access_request,
    audit,
    cases,
    follow_ups,
    history,
    imports,
    ops,
    reports,
    school_year,
    steps,
)
from adapters.driving.api.security_headers import install_security_headers
from adapters.driving.web.app import error_page, mount_web

PREFIX = "/api/v1"
#: The order of the sections in the documentation.
TAGS = (
    "cases", "case steps", "school year", "history", "follow-ups", "imports", "reports", "audit",
    "operations",
)
#: Smaller answers go as they are: compressing them saves less than a packet.
GZIP_MINIMUM_BYTES = 1024
#: zlib's default level: level 9 (Starlette's default) costs more CPU for ~1% fewer bytes.
GZIP_LEVEL = 6
#: FastAPI's native OpenTelemetry, all three signals off (``CARETRAIL_OPENTELEMETRY``).
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(
    caretrail: Caretrail,
    *,
    accounts: Accounts,
    config: ApiConfig | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
    web: bool = True,
    views_keeper: Callable[[], bool] | None = None,
) -> FastAPI:
    """The API over a built caretrail, and the web pages (``web``) beside it. ``lifespan``
    starts and stops background work; ``views_keeper`` says whether the process that keeps
    the views current is alive, when that is another process (an API worker's supervisor)."""
    app = FastAPI(
        title="caretrail",
        version="1.0",
        summary="Follow-up of left-behind children's cases (留守儿童关爱跟踪)",
        description=(
            "Bearer tokens from `caretrail tokens issue`. Errors are `application/problem+json` "
            "(RFC 9457) with a stable `type`. A command answers the log `position` it reached: "
            "pass it as `min_position` to a list to read your own write. Every read of a case's "
            "personal data is written to the access log with its purpose (`X-Purpose`)."
        ),
        lifespan=lifespan,
        telemetry=None if caretrail.settings.opentelemetry else _NO_TELEMETRY,
        openapi_tags=[{"name": name} for name in TAGS],
        docs_url=None,  # FastAPI's pages load Swagger UI from a CDN: /docs is served locally
        redoc_url=None,
    )
    guard_assignments(caretrail, accounts)
    app.state.caretrail = caretrail
    app.state.accounts = accounts
    config = config or ApiConfig()
    if config.inline_reads is None:  # local files: inline; a database server: off the loop
        config = replace(config, inline_reads=not caretrail.settings.is_postgres)
    app.state.config = config
    app.state.views_keeper = views_keeper
    app.state.heavy_reads = HeavyReads(per_user=caretrail.settings.heavy_reads_per_user,
                                       total=caretrail.settings.heavy_reads_total)
    app.state.context = Context(caretrail, accounts, config)
    app.state.query_shapes = {}
    for module in (
        follow_ups, ops, school_year, cases, steps, history, access_request, imports, reports, audit,
    ):
        app.include_router(module.router, prefix=PREFIX)
    app.state.query_shapes = {id(route): QueryShape.of(route) for _, route in api_routes(app)}
    problems.install(app)
    if web:
        mount_web(app)
        app.state.error_page = error_page
    # Innermost, so that the request log's duration includes compressing. Pages carry a
    # CSRF token and children's data beside what a request reflects: BREACH, and why
    # compressing them is accepted, is in docs/web.md ("Compressed pages").
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
    app.add_middleware(BodyLimit, max_bytes=app.state.config.max_body_bytes,
                       uploads=app.state.config.max_upload_bytes)
    app.add_middleware(RequestLog, templates=route_templates(app))
    install_security_headers(app, install_docs(app))
    _check_permissions(app)
    _openapi(app)
    return app


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """Every API route with its full path (an included router keeps its own routes)."""
    return [
        (context.path or "", context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]


def route_templates(app: FastAPI) -> dict[int, str]:
    """Full path template of each route object, for the request log."""
    return {id(route): path for path, route in api_routes(app)}


def _check_permissions(app: FastAPI) -> None:
    """Refuse to build an app with a route that declares no permission."""
    for path, route in api_routes(app):
        if path.startswith(PREFIX) and route_permission(route) is None:
            raise RuntimeError(f"route {path} declares no permission (deps.allow)")


def _openapi(app: FastAPI) -> None:
    """The OpenAPI document, plus each operation's permission and the Problem schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for path, route in api_routes(app):
                if not path.startswith(PREFIX):
                    continue  # the web pages: not in the API's document
                permission = route_permission(route)
                assert permission is not None
                roles = "anyone, no token" if permission is Permission.PUBLIC else ", ".join(
                    str(r) for r, granted in GRANTS.items() if permission in granted
                )
                common = {422} if route.dependant.query_params or route.body_field else set()
                if permission is not Permission.PUBLIC:
                    common |= {401, 403}
                if route.body_field is not None:
                    common |= {400, 413, 415}
                for method in route.methods or ():
                    operation = schema["paths"][path][method.lower()]
                    declared = {int(c) for c in operation["responses"] if c.isdigit() and int(c) >= 400}
                    operation["responses"].update(problems.problem_responses(*(common | declared)))
                    operation["x-permission"] = permission.value
                    if permission is not Permission.PUBLIC:
                        operation["security"] = [{"bearer": []}]
                    operation["description"] = (
                        f"{operation.get('description', '')}\n\nPermission `{permission}`: {roles}."
                    )
            problem = problems.Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            schema.setdefault("components", {})["securitySchemes"] = {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "A token from `caretrail tokens issue`."}}
            components = schema["components"].setdefault("schemas", {})
            components.update(problem.pop("$defs", {}))
            components["Problem"] = problem
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
