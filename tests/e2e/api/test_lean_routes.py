"""The lean handler answers exactly as FastAPI's own handler would (``adapters.api.lean``).

The same requests go to two apps over the same store: one with lean routes (as served),
one with FastAPI's handler everywhere; status, body (less the request id) and the headers
that carry meaning must match. Requests cover every lean route as every role, without
and with a bad token, and with unknown, repeated, missing and invalid parameters.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import fastapi
import httpx
import pytest

from adapters.api.app import ApiConfig, api_routes, create_app
from adapters.api.lean import CHECKED_FASTAPI, LeanRoute
from tests.e2e.api.conftest import SCHOOL_A, SCHOOL_B, Api

V1 = "/api/v1"
WHO = ["teacher", "supervisor", "auditor", "admin", "teacher_b", None, "bad-token"]
#: Query strings tried on every lean route (most are refusals of one kind or another).
QUERIES = [
    "", "limit=1", "limit=0", "limit=abc", "limit=1&limit=2", "nonsense=1", "min_position=0",
    "min_position=-1", "min_position=999999999", "min_position=x", "after=bogus",
    f"school_id={SCHOOL_A}", f"school_id={SCHOOL_B}", f"school_id={SCHOOL_A}&school_id={SCHOOL_A}",
    "school_id=bad id", "status=overdue", "status=bogus", "within_days=400", "within_days=3",
    "since=2026-01-01T00:00:00Z", "since=yesterday", "from=2026-01-01T00:00:00Z",
    "case_id=x&actor_id=y", "assignee_role=supervisor", "min_days_overdue=2&status=overdue",
]
#: Headers whose values the two handlers must agree on.
HEADERS = ("content-type", "www-authenticate", "retry-after", "etag", "allow")


def _lean_paths(api: Api) -> list[str]:
    return [path.removeprefix(V1) for path, route in api_routes(api.app)
            if isinstance(route, LeanRoute) and route.lean]


def test_the_simple_routes_take_the_lean_handler_with_the_checked_fastapi(api: Api) -> None:
    # A FastAPI upgrade turns the lean handler off (it reads FastAPI internals): this
    # fails then, to have the comparison below re-checked against the new version.
    assert fastapi.__version__ == CHECKED_FASTAPI
    lean = set(_lean_paths(api))
    assert {"/me/tasks", "/follow-ups", "/cases", "/healthz", "/me", "/stats"} <= lean
    # Routes with a body, headers or sync endpoints keep FastAPI's handler.
    assert "/cases/{case_id}" not in lean


def test_lean_routes_answer_as_fastapis_handler(api: Api) -> None:
    for n, school in enumerate((SCHOOL_A, SCHOOL_A, SCHOOL_B)):
        api.identify("supervisor" if school == SCHOOL_A else "supervisor_b", n=n + 1, school=school)
    api.catch_up()
    stock_app = create_app(api.ct, accounts=api.accounts,
                           config=ApiConfig(wait_seconds=0.2, lean_routes=False))
    lean_app = create_app(api.ct, accounts=api.accounts,
                          config=ApiConfig(wait_seconds=0.2, lean_routes=True))
    assert not any(getattr(r, "lean", False) for _, r in api_routes(stock_app))
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t" + V1)
               for app in (lean_app, stock_app)]
    compared, statuses = 0, set()
    try:
        for path in _lean_paths(api):
            url = path.replace("{code}", "forbidden")
            for query in QUERIES:
                for who in WHO:
                    headers = {}
                    if who == "bad-token":
                        headers["Authorization"] = "Bearer ct_" + "x" * 43
                    elif who is not None:
                        headers["Authorization"] = f"Bearer {api.tokens[who]}"
                    lean, stock = (
                        api.portal.call(partial(c.get, f"{url}?{query}", headers=headers)) for c in clients
                    )
                    where = (path, query, who)
                    assert lean.status_code == stock.status_code, where
                    assert _body(lean) == _body(stock), where
                    for name in HEADERS:
                        assert lean.headers.get(name) == stock.headers.get(name), (where, name)
                    compared += 1
                    statuses.add(lean.status_code)
    finally:
        for client in clients:
            api.portal.call(client.aclose)
    assert compared == len(_lean_paths(api)) * len(QUERIES) * len(WHO)
    assert {200, 401, 403, 422} <= statuses


def _body(response: httpx.Response) -> Any:
    if not response.headers.get("content-type", "").endswith("json"):
        return response.content
    body = response.json()
    if isinstance(body, dict):
        body.pop("request_id", None)
    return body


@pytest.mark.parametrize("lean_routes", [True, False])
def test_dependency_overrides_still_apply(api: Api, lean_routes: bool) -> None:
    app = create_app(api.ct, accounts=api.accounts, config=ApiConfig(lean_routes=lean_routes))
    from adapters.api.deps import school_scope

    async def only_b() -> tuple[str, ...]:
        return (SCHOOL_B,)

    app.dependency_overrides[school_scope] = only_b
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t" + V1)
    try:
        api.identify("supervisor_b", n=1, school=SCHOOL_B)
        api.catch_up()
        response = api.portal.call(partial(
            client.get, "/cases", headers={"Authorization": f"Bearer {api.tokens['supervisor']}"}))
    finally:
        api.portal.call(client.aclose)
    assert response.status_code == 200
    assert {c["school_id"] for c in response.json()["items"]} == {SCHOOL_B}
