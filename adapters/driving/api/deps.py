"""Dependencies written once: who calls, what their role allows, which schools and cases
they may touch, the access log of personal-data reads, and read-your-writes (commands:
``adapters.driving.api.idempotency``).

Routes never check a role or a school themselves: they declare ``allow(permission)``
(most take its :class:`Caller` as a parameter) and take ``ScopedCase`` / ``Schools``
parameters, and these do the checking.

Every dependency node costs FastAPI some work per request, so a route's tree is kept
small: the permission check hands back the caller and the context in one object, and
the other dependencies read the caller through :func:`authenticated` instead of
depending on further nodes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin
from uuid import UUID

from fastapi import Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, StringConstraints

from adapters.bootstrap import Caretrail
from adapters.driven.auth.accounts import Accounts
from adapters.driven.auth.models import Principal
from adapters.driving.api.config import ApiConfig
from adapters.driving.api.errors import (
    Forbidden,
    PositionUnknown,
    PurposeRequired,
    SchoolOutOfScope,
    SchoolRequired,
    Unauthenticated,
    ViewsBehind,
)
from adapters.driving.api.middleware import raw_header
from adapters.driving.api.permissions import Permission, granted
from domain.errors import CaseNotFound
from domain.values import Ident

T = TypeVar("T")
Purpose = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


def _ascii_header(value: str) -> str:
    # HTTP carries header values as Latin-1: UTF-8 text sent there arrives garbled, and a
    # garbled purpose in the access log is worse than none.
    if not value.isascii():
        raise ValueError("X-Purpose must be ASCII; send other text as ?purpose=")
    return value


HeaderPurpose = Annotated[Purpose, AfterValidator(_ascii_header)]
PRINCIPAL = "caretrail.principal"
"""Where :func:`authenticated` keeps the caller for the rest of the request (scope key)."""


def note(request: Request, **fields: Any) -> None:
    """Add ids to this request's log line (never names)."""
    request.scope.setdefault("caretrail.log", {}).update(fields)


@dataclass(frozen=True, slots=True)
class Context:
    """What a public route gets from its declared permission: the running caretrail, the
    accounts and the HTTP layer's limits."""

    caretrail: Caretrail
    accounts: Accounts
    config: ApiConfig

    async def call(self, store_call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call a store from an ``async`` route: inline when the stores are local files
        (``ApiConfig.inline_reads``), else in the thread pool, so that no request holds the
        event loop for a round trip to the database."""
        if self.config.inline_reads:
            return store_call(*args, **kwargs)
        return await run_in_threadpool(store_call, *args, **kwargs)


@dataclass(frozen=True, slots=True)
class Caller(Context):
    """What a route gets from its declared permission: the caller (authenticated and
    authorized for the route) and the context."""

    user: Principal


def context(request: Request) -> Context:
    """The route context of this app."""
    found: Context = request.app.state.context
    return found


# --------------------------------------------------------------------------- what
@dataclass(frozen=True)
class QueryShape:
    """The query parameters a route declares, and which of them are lists."""

    names: frozenset[str]
    lists: frozenset[str]

    @classmethod
    def of(cls, route: Any) -> QueryShape:
        """Read from the route's whole dependency tree."""
        def params(dependant: Any) -> Iterator[Any]:
            yield from dependant.query_params
            for dep in dependant.dependencies:
                yield from params(dep)

        found = list(params(route.dependant))
        return cls(
            names=frozenset(p.alias for p in found),
            lists=frozenset(p.alias for p in found if _is_list(p.field_info.annotation)),
        )


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (Union, UnionType, Annotated):
        return any(_is_list(a) for a in get_args(annotation))
    return False


def check_query(request: Request) -> None:
    """Refuse unknown query parameters (a typo would silently widen a list) and scalars
    given twice (which value was meant?). Called by every route's permission check."""
    if not request.scope.get("query_string"):
        return
    shape: QueryShape | None = request.app.state.query_shapes.get(id(request.scope.get("route")))
    if shape is None:
        return
    keys = [k for k, _ in request.query_params.multi_items()]
    problems = [
        {"loc": ("query", name), "msg": "unknown parameter", "type": "unknown_parameter"}
        for name in sorted(set(keys) - shape.names)
    ] + [
        {"loc": ("query", name), "msg": "give this parameter once", "type": "repeated_parameter"}
        for name in sorted({k for k in keys if keys.count(k) > 1} & shape.names - shape.lists)
    ]
    if problems:
        raise RequestValidationError(problems)


# --------------------------------------------------------------------------- who
def authenticated(request: Request) -> Principal:
    """The caller this request was authenticated as (by the route's permission, which every
    route declares and FastAPI solves first)."""
    principal: Principal | None = request.scope.get(PRINCIPAL)
    if principal is None:
        raise Unauthenticated("send Authorization: Bearer <token>")
    return principal


async def authenticate(request: Request, ctx: Context) -> Principal:
    """The caller, from ``Authorization: Bearer <token>``; 401 otherwise. Checked once per
    request: the others get the same caller from :func:`authenticated`."""
    scope = request.scope
    principal: Principal | None = scope.get(PRINCIPAL)
    if principal is not None:
        return principal
    scheme, _, token = (raw_header(scope, b"authorization") or b"").decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("send Authorization: Bearer <token>")
    principal = await ctx.call(ctx.accounts.authenticate, token.strip())
    if principal is None:
        raise Unauthenticated("the token is unknown, expired or revoked")
    note(request, user_id=principal.user_id, role=principal.role.value)
    scope[PRINCIPAL] = principal
    return principal


# Dependencies are ``async`` even when they do not await: FastAPI runs a plain ``def``
# dependency in the thread pool, a hop that costs more than most of these do.
class Permit:
    """The permission a route declares: checked on every call, and findable on the route.

    Hands back the :class:`Caller` (authentication, then the query's shape, then the role:
    401 before 422 before 403)."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Caller:
        ctx = context(request)
        user = await authenticate(request, ctx)
        check_query(request)
        if not granted(user.role, self.permission):
            raise Forbidden(f"the {user.role} role may not use this ({self.permission})")
        return Caller(ctx.caretrail, ctx.accounts, ctx.config, user)


class PublicAccess(Permit):
    """The declared permission of the few routes that need no token."""

    def __init__(self) -> None:
        super().__init__(Permission.PUBLIC)

    async def __call__(self, request: Request) -> Context:  # type: ignore[override]
        check_query(request)
        return context(request)


MinPosition = Annotated[int | None, Query(
    ge=0, le=2**53, description="Wait (bounded) until the views reached this log position "
    "(the `position` a command returned): read your own writes.")]


class ReadYourWrites:
    """A read that first waits (bounded) for the views to reach ``min_position``.

    The permit is its sub-dependency, so FastAPI checks it (401, 403) before it even
    validates ``min_position``, and nobody waits who may not read.
    """

    def __init__(self, permit: Permit) -> None:
        self.permit = permit
        # The permit differs per route: the signature FastAPI reads is built here.
        self.__signature__ = inspect.Signature([
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
            inspect.Parameter("caller", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              annotation=Annotated[Caller, Depends(permit)]),
            inspect.Parameter("min_position", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              default=None, annotation=MinPosition),
        ], return_annotation=Caller)

    async def __call__(self, request: Request, caller: Caller, min_position: int | None = None) -> Caller:
        if min_position is not None:
            await views_caught_up(caller, min_position)
        return caller


def allow(permission: Permission, *, read_your_writes: bool = False) -> Any:
    """Declare a route's permission, as ``dependencies=[allow(...)]`` or as the parameter
    that receives the :class:`Caller` (:class:`Context` for ``PUBLIC``):
    ``caller: Annotated[Caller, allow(Permission.CASE_READ, read_your_writes=True)]``.
    ``read_your_writes`` adds ``min_position`` (see :class:`ReadYourWrites`)."""
    if permission is Permission.PUBLIC:
        if read_your_writes:
            raise ValueError("public routes read no views")
        return Depends(PublicAccess())
    permit = Permit(permission)
    return Depends(ReadYourWrites(permit) if read_your_writes else permit)


def route_permission(route: Any) -> Permission | None:
    """The permission a route declared with :func:`allow` (None if it declared none)."""
    dependant = getattr(route, "dependant", None)
    for dep in getattr(dependant, "dependencies", ()):
        call = dep.call.permit if isinstance(dep.call, ReadYourWrites) else dep.call
        if isinstance(call, Permit):
            return call.permission
    return None


# --------------------------------------------------------------------------- where
SchoolIds = Annotated[list[Ident] | None, Query(
    max_length=50, description="Restrict to these schools (default: all of yours). Repeatable.",
)]


async def school_scope(request: Request, school_id: SchoolIds = None) -> tuple[str, ...]:
    """The schools a list covers: the requested ones, all inside the caller's; default all."""
    user = authenticated(request)
    if not school_id:
        return user.schools
    outside = sorted(set(school_id) - set(user.schools))
    if outside:
        raise SchoolOutOfScope(f"you are not attached to {', '.join(outside)}")
    return tuple(dict.fromkeys(school_id))


Schools = Annotated[tuple[str, ...], Depends(school_scope)]


async def one_school(
    request: Request,
    school_id: Annotated[Ident | None, Query(description="Default: your only school.")] = None,
) -> str:
    """Exactly one of the caller's schools (per-school reports)."""
    user = authenticated(request)
    if school_id is None:
        if len(user.schools) == 1:
            return user.schools[0]
        raise SchoolRequired("you have several schools: give school_id")
    if school_id not in user.schools:
        raise SchoolOutOfScope(f"you are not attached to {school_id}")
    return school_id


OneSchool = Annotated[str, Depends(one_school)]


def require_school(user: Principal, school_id: str) -> None:
    """Refuse a school outside the caller's (a new case names its school itself)."""
    if school_id not in user.schools:
        raise SchoolOutOfScope(f"you are not attached to {school_id}")


@dataclass(frozen=True)
class CaseRef:
    """A case the caller may see, and its school."""

    case_id: UUID
    school_id: str


async def case_in_scope(
    request: Request,
    case_id: Annotated[UUID, Path(description="The case id.")],
) -> CaseRef:
    """The case named in the path if it is in one of the caller's schools; else 404.

    Outside the caller's schools the answer is the very 404 a missing case gets, so
    nobody learns that a case exists elsewhere.
    """
    user = authenticated(request)
    ctx = context(request)
    cases = ctx.caretrail.cases
    note(request, case_id=str(case_id))
    row = await ctx.call(ctx.caretrail.read.case, str(case_id))
    # A case's school never changes: the view is authoritative once it has the case;
    # a case written a moment ago may not be there yet, and the store then decides.
    school = row.school_id if row is not None else None
    if school is None or school not in user.schools:
        # The store is asked for another school's case too (the same indexed read, not
        # decoded), so refusing it takes about as long as refusing a case that does not
        # exist: the time of the 404 should not tell which students have a case elsewhere
        # (the timings are in docs/performance.md).
        if school is None:
            school = await run_in_threadpool(cases.school_of, case_id)
        else:
            await run_in_threadpool(cases.has_events, case_id)
        if school is None or school not in user.schools:
            raise CaseNotFound(case_id)
    return CaseRef(case_id=case_id, school_id=school)


ScopedCase = Annotated[CaseRef, Depends(case_in_scope)]


class CaseAccess:
    """A read of a case's personal data: in scope, and written to the access log first."""

    def __init__(self, resource: str, *, purpose_required: bool = False) -> None:
        self.resource = resource
        self.purpose_required = purpose_required

    async def __call__(
        self,
        request: Request,
        case: ScopedCase,
        x_purpose: Annotated[HeaderPurpose | None, Header(
            alias="X-Purpose", description="Why you read this (kept in the access log).")] = None,
        purpose: Annotated[Purpose | None, Query(
            description="Same as X-Purpose, for non-ASCII text.")] = None,
    ) -> CaseRef:
        stated = x_purpose or purpose
        if not stated and self.purpose_required:
            raise PurposeRequired("an export needs a purpose: X-Purpose header or ?purpose=")
        await run_in_threadpool(
            context(request).accounts.record_access, authenticated(request), case_id=str(case.case_id),
            school_id=case.school_id, resource=self.resource, purpose=stated or "unstated",
            request_id=request.scope.get("caretrail.request_id"),
        )
        return case


# --------------------------------------------------------------------------- when
async def views_caught_up(ctx: Context, min_position: int) -> None:
    """Wait until the read models reached ``min_position``; 503 after the bounded wait."""
    runner, wait = ctx.caretrail.runner, ctx.config.wait_seconds
    if await ctx.call(runner.wait_for, min_position, 0):
        return
    if min_position > await ctx.call(runner.head):
        raise PositionUnknown(f"the event log ends before position {min_position}")
    if not await run_in_threadpool(runner.wait_for, min_position, wait):
        raise ViewsBehind(f"views did not reach position {min_position} within {wait:g} s")
