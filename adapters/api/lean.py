"""A leaner request handler for the simple routes: the same declarations, solved with less work.

FastAPI re-derives every parameter's metadata on every request (is it a sequence? a
model? which alias?) and walks a generic dependency solver; on the task list that was
~60 µs of ~150 µs of CPU per request (measured in process). :class:`LeanRoute` reads the
route's dependency tree once, when the app is built, and then solves it per request in
the same order and with the same validation: the declared permission, the scope
dependencies and the query and path parameters are exactly those FastAPI sees (and that
the OpenAPI document shows); each value is validated by FastAPI's own field
(``field.validate``), so errors are the same; the response is validated against the
``response_model`` and dumped as FastAPI does.

Only routes it fully understands take this path: an ``async`` endpoint without a body,
``async`` dependencies without ``yield``, query and path parameters with one name each
(no headers, cookies, parameter models, ``Response`` or ``BackgroundTasks`` parameters,
security scopes or concurrency limits), a response model, the default response class.
Everything else, a request while ``dependency_overrides`` are set, a request traced by
FastAPI's telemetry, and any FastAPI other than the version this was checked against
(:data:`CHECKED_FASTAPI`: it reads FastAPI internals) goes through FastAPI's own handler.
``tests/e2e/api/test_lean_routes.py`` compares both handlers' answers.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from copy import deepcopy
from typing import Any

import fastapi
from fastapi._compat.shared import field_annotation_is_sequence
from fastapi._compat.v2 import get_missing_field_error
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import (
    Dependant,
    _is_async_gen_callable,
    _is_coroutine_callable,
    _is_gen_callable,
)
from fastapi.dependencies.utils import _get_param_aliases, _get_param_model, _is_json_field
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.routing import APIRoute, _extract_endpoint_context
from fastapi.security.base import SecurityBase
from fastapi.telemetry._api import _validation_failed, get_telemetry_data
from fastapi.utils import is_body_allowed_for_status_code
from starlette.requests import Request
from starlette.responses import Response

#: The FastAPI whose request handling this reproduces; any other uses FastAPI's handler.
CHECKED_FASTAPI = "0.165.0"
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class _NotLean(Exception):
    """The route uses something the lean handler does not reproduce."""


class _Param:
    """One query or path parameter, with what FastAPI works out on every request."""

    __slots__ = (
        "alias", "copy_default", "default", "field", "loc", "name", "required", "sequence",
        "validate_default",
    )

    def __init__(self, field: Any, *, in_path: bool) -> None:
        aliases = _get_param_aliases(field)
        if len(aliases) != 1 or _get_param_model(field) is not None or _is_json_field(field):
            raise _NotLean
        self.field = field
        self.name: str = field.name
        self.alias: str = aliases[0][1]
        self.sequence = field_annotation_is_sequence(field.field_info.annotation)
        if in_path and self.sequence:
            raise _NotLean
        self.loc = (field.field_info.in_.value, self.alias)
        self.required: bool = field.field_info.is_required()
        self.default = None if self.required else field.default
        # FastAPI deep-copies a default for each request; a copy of an immutable value
        # is the value itself.
        self.copy_default = type(self.default) not in _IMMUTABLE
        self.validate_default = bool(field.field_info.validate_default)


_IMMUTABLE = frozenset({type(None), bool, int, float, str, bytes})


class _Node:
    """One dependant (the endpoint or a dependency) and its sub-dependencies, in order."""

    __slots__ = ("call", "name", "path", "query", "request_name", "subs", "use_cache")

    def __init__(self, dependant: Dependant, *, root: bool = False) -> None:
        call = dependant.call
        if (
            call is None
            or dependant.body_params or dependant.header_params or dependant.cookie_params
            or dependant.background_tasks_param_name or dependant.response_param_name
            or dependant.security_scopes_param_name or dependant.websocket_param_name
            or dependant.http_connection_param_name or dependant.own_oauth_scopes
            or dependant.concurrency is not None
            or (not root and dependant.scope is not None)
            or isinstance(call, SecurityBase)
            or _is_gen_callable(call) or _is_async_gen_callable(call)
            or not _is_coroutine_callable(call)
        ):
            raise _NotLean
        self.call: Callable[..., Any] = call
        self.name = dependant.name
        self.use_cache = dependant.use_cache
        self.subs = [_Node(sub) for sub in dependant.dependencies]
        self.path = [_Param(f, in_path=True) for f in dependant.path_params]
        self.query = [_Param(f, in_path=False) for f in dependant.query_params]
        self.request_name = dependant.request_param_name


def _read(params: list[_Param], received: Any, values: dict[str, Any], errors: list[Any]) -> None:
    """FastAPI's ``request_params_to_args`` for one kind of parameter."""
    given = len(received) > 0  # nothing given: no lookups (each a caught KeyError)
    for param in params:
        if not given:
            value = None
        else:
            value = received.getlist(param.alias) if param.sequence else received.get(param.alias)
        if value is None or (param.sequence and len(value) == 0):
            if param.required:
                errors.append(get_missing_field_error(loc=param.loc))
                continue
            value = deepcopy(param.default) if param.copy_default else param.default
            if not param.validate_default:
                values[param.name] = value
                continue
        validated, problems = param.field.validate(value, values, loc=param.loc)
        if problems:
            errors.extend(problems)
        else:
            values[param.name] = validated


async def _solve(node: _Node, request: Request, cache: dict[Any, Any], errors: list[Any]) -> dict[str, Any]:
    """FastAPI's ``solve_dependencies`` for what :class:`_Node` accepts, in the same order."""
    values: dict[str, Any] = {}
    for sub in node.subs:
        sub_errors: list[Any] = []
        sub_values = await _solve(sub, request, cache, sub_errors)
        if sub_errors:
            errors.extend(sub_errors)
            continue
        if sub.use_cache and sub.call in cache:
            solved = cache[sub.call]
        else:
            solved = await sub.call(**sub_values)
        if sub.name is not None:
            values[sub.name] = solved
        if sub.call not in cache:
            cache[sub.call] = solved
    if node.path:
        _read(node.path, request.path_params, values, errors)
    if node.query:
        _read(node.query, request.query_params, values, errors)
    if node.request_name:
        values[node.request_name] = request
    return values


class LeanRoute(APIRoute):
    """An API route answered by the lean handler when it qualifies (see the module)."""

    #: Whether this route's requests take the lean handler (set when the handler is built).
    lean: bool = False

    def get_route_handler(self) -> Handler:
        stock = super().get_route_handler()
        try:
            handler = self._lean_handler(stock)
        except _NotLean:
            self.lean = False
            return stock
        self.lean = True
        return handler

    def _lean_handler(self, stock: Handler) -> Handler:
        dependant, field = self.dependant, self.response_field
        if (
            fastapi.__version__ != CHECKED_FASTAPI
            or self.body_field is not None
            or field is None
            or self.stream_item_field is not None
            or getattr(self, "is_json_stream", False)
            or getattr(self, "is_sse_stream", False)
            or not isinstance(self.response_class, DefaultPlaceholder)
            or dependant.scope not in (None, "function")
        ):
            raise _NotLean
        root = _Node(dependant, root=True)
        endpoint = root.call
        status_code = self.status_code
        overrides = self.dependency_overrides_provider
        dump: dict[str, Any] = {
            "include": self.response_model_include, "exclude": self.response_model_exclude,
            "by_alias": self.response_model_by_alias,
            "exclude_unset": self.response_model_exclude_unset,
            "exclude_defaults": self.response_model_exclude_defaults,
            "exclude_none": self.response_model_exclude_none,
        }
        path = self.path

        async def handle(request: Request) -> Response:
            if (overrides is not None and getattr(overrides, "dependency_overrides", None)) or (
                get_telemetry_data() is not None
            ):
                return await stock(request)
            errors: list[Any] = []
            values = await _solve(root, request, {}, errors)
            if errors:
                error = RequestValidationError(errors, body=None, endpoint_ctx=_context(request))
                _validation_failed(error)
                raise error
            raw = await endpoint(**values)
            if isinstance(raw, Response):
                return raw
            value, problems = field.validate(raw, {}, loc=("response",))
            if problems:
                raise ResponseValidationError(errors=problems, body=raw, endpoint_ctx=_context(request))
            content = field.serialize_json(value, **dump)
            if status_code is None:
                response = Response(content, media_type="application/json")
            else:
                response = Response(content, status_code=status_code, media_type="application/json")
            if not is_body_allowed_for_status_code(response.status_code):
                response.body = b""
            return response

        def _context(request: Request) -> Any:
            context = _extract_endpoint_context(endpoint)
            mount = request.scope.get("root_path", "").rstrip("/")
            context["path"] = f"{request.method} {mount}{path}"
            return context

        return handle
