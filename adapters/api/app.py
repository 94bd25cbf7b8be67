"""The application factory: ``create_app(caretrail)`` builds the API; nothing at import time."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.telemetry import TelemetryConfig

from adapters.api import problems
from adapters.api.deps import QueryShape, Service, route_permission
from adapters.api.middleware import BodyLimit, RequestLog
from adapters.api.permissions import GRANTS, Permission
from adapters.api.routers import audit, cases, follow_ups, history, ops, steps
from adapters.auth.accounts import Accounts, build_accounts
from adapters.bootstrap import Caretrail

PREFIX = "/api/v1"
#: The order of the sections in the documentation.
TAGS = ("cases", "case steps", "history", "follow-ups", "audit", "operations")
#: FastAPI's native OpenTelemetry, all three signals off (``CARETRAIL_OPENTELEMETRY``).
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


@dataclass(frozen=True)
class ApiConfig:
    """Limits of the HTTP layer."""

    #: Largest request body accepted (a note is at most 4,000 characters).
    max_body_bytes: int = 64 * 1024
    #: Longest a read waits for the views to reach ``min_position``.
    wait_seconds: float = 5.0
    #: Readiness fails when a view is further behind the log than this.
    max_view_lag: int = 10_000
    #: Answer the simple routes with :class:`adapters.api.lean.LeanRoute` (False: FastAPI's
    #: own handler everywhere; the tests compare both).
    lean_routes: bool = True


def create_app(
    caretrail: Caretrail,
    *,
    accounts: Accounts | None = None,
    config: ApiConfig | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
) -> FastAPI:
    """The API over a built caretrail. ``lifespan`` starts and stops background work."""
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
    )
    app.state.caretrail = caretrail
    app.state.accounts = accounts or build_accounts(caretrail.settings, caretrail.clock)
    app.state.config = config or ApiConfig()
    app.state.service = Service(caretrail, app.state.accounts, app.state.config)
    app.state.query_shapes = {}
    # Routes are matched in order: the busiest lists first (it is measurable).
    route_class = _route_class(app.state.config)
    for module in (follow_ups, ops, cases, steps, history, audit):
        _add_routes(app, module.router, route_class)
    # FastAPI puts its documentation routes (/openapi.json, /docs...) first; matched after
    # the API's own, they no longer cost every API request four path matches (~4 µs).
    # Their paths overlap none of the API's, so what a path matches does not change.
    app.router.routes.sort(key=lambda route: not isinstance(route, APIRoute))
    app.state.query_shapes = {id(route): QueryShape.of(route) for _, route in api_routes(app)}
    problems.install(app)
    app.add_middleware(BodyLimit, max_bytes=app.state.config.max_body_bytes)
    app.add_middleware(RequestLog, templates=route_templates(app))
    _check_permissions(app)
    _openapi(app)
    return app


#: What an APIRoute is built from, besides its path and endpoint (and the app's overrides).
_ROUTE_FIELDS = tuple(
    name for name in inspect.signature(APIRoute.__init__).parameters
    if name not in ("self", "path", "endpoint", "dependency_overrides_provider")
)


def _route_class(config: ApiConfig) -> type[APIRoute]:
    """The lean route class when configured and importable, else FastAPI's own."""
    if not config.lean_routes:
        return APIRoute
    try:
        from adapters.api.lean import LeanRoute  # reads FastAPI internals
    except ImportError:  # another FastAPI moved them: its own handler serves every route
        return APIRoute
    return LeanRoute


def _add_routes(app: FastAPI, router: APIRouter, route_class: type[APIRoute]) -> None:
    """Add a router's routes to the app itself under :data:`PREFIX`.

    Not ``include_router``: FastAPI 0.165 matches an included router's routes through a
    wrapper per router, which cost ~10 µs (first router) to ~25 µs (sixth) per request
    more than the same routes on the app (measured in process).
    """
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"{route!r} is not an API route")
        app.router.add_api_route(
            PREFIX + route.path, route.endpoint, route_class_override=route_class,
            **{name: getattr(route, name) for name in _ROUTE_FIELDS},
        )


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """Every API route with its full path (routers are included, not copied, in FastAPI 0.165)."""
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
        if route_permission(route) is None:
            raise RuntimeError(f"route {path} declares no permission (deps.allow)")


def _openapi(app: FastAPI) -> None:
    """The OpenAPI document, plus each operation's permission and the Problem schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for path, route in api_routes(app):
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
