"""Object-level authorization: every role x two schools x every route.

A route taking a case id answers 404 for a case of another school (the same 404 as a
missing case) and writes or logs nothing there; an auditor writes nothing (403); a role
without a route's permission gets 403. The matrix needs an example request for every
route, so a new route cannot slip in untested, and every route must declare its
permission (the app refuses to build otherwise; checked here too).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from adapters.driven.auth.models import UserRole
from adapters.driving.api.app import _check_permissions, api_routes
from adapters.driving.api.deps import case_in_scope, route_permission
from adapters.driving.api.permissions import GRANTS, WRITES, Permission, granted
from adapters.driving.api.routers.access_request import case_for_access_request
from tests.e2e.api.conftest import PEOPLE, SCHOOL_A, SCHOOL_B, Api, identify_body

V1 = "/api/v1"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
NOW = "2026-09-01T09:30:00+08:00"

#: One valid request per route: (method, path) -> httpx keyword arguments.
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/cases"): {"json": "identify"},
    ("GET", "/cases"): {},
    ("GET", "/cases/{case_id}"): {"headers": {"X-Purpose": "matrix"}},
    ("POST", "/cases/{case_id}/home-visits"): {"json": {"guardian_met": True, "occurred_at": NOW}},
    ("POST", "/cases/{case_id}/mentor"): {"json": {"teacher_id": "a-mentor"}},
    ("DELETE", "/cases/{case_id}/mentor"): {"params": {"reason": "moved"}},
    ("POST", "/cases/{case_id}/counselling-sessions"): {"json": {"summary": "ok"}},
    ("POST", "/cases/{case_id}/reviews"): {"json": {"outcome": "continue"}},
    ("POST", "/cases/{case_id}/contacts"): {"json": {"party": "guardian"}},
    ("POST", "/cases/{case_id}/notes"): {"json": {"text": "seen"}},
    ("POST", "/cases/{case_id}/details"): {"json": {"guardian": {"name": "张阿姨", "relation": "aunt"}}},
    ("POST", "/cases/{case_id}/consent"): {"json": {"consent": {
        "given_by": "李奶奶", "relation": "grandmother", "method": "verbal", "witness": "王老师",
        "given_on": "2026-08-31"}}},
    ("POST", "/cases/{case_id}/consent-withdrawal"): {"json": {"withdrawn_by": "李奶奶",
                                                              "relation": "grandmother"}},
    ("POST", "/cases/{case_id}/closure"): {"json": {"reason": "other"}},
    ("POST", "/cases/{case_id}/reopening"): {"json": {"reason": "again"}},
    ("POST", "/cases/{case_id}/risk-level"): {"json": {"level": "high"}},
    ("POST", "/cases/{case_id}/follow-ups/{follow_up_id}/completion"): {"json": {}},
    ("POST", "/cases/{case_id}/head-teacher"): {"json": {"teacher_id": "a-teacher-2"}},
    ("POST", "/teachers/{teacher_id}/hand-over"): {"json": {
        "to_head_teacher": "a-teacher-2", "dry_run": True}},
    ("POST", "/schools/{school_id}/rollover"): {"json": {
        "school_year": 2026, "mapping": {"三年级2班": "四年级2班"}, "dry_run": True}},
    ("POST", "/cases/closures"): {"json": {"case_ids": ["00000000-0000-4000-8000-000000000000"],
                                           "reason": "left_school"}},
    ("POST", "/cases/{case_id}/erase"): {"json": {"reason": "other"}},
    ("GET", "/cases/{case_id}/history"): {},
    ("GET", "/cases/{case_id}/history/export"): {"headers": {"X-Purpose": "matrix"}},
    ("GET", "/cases/{case_id}/access-request"): {"headers": {"X-Purpose": "matrix"}},
    ("GET", "/follow-ups"): {"params": {"status": "open"}},
    ("GET", "/follow-ups/summary"): {},
    ("GET", "/me/tasks"): {},
    ("GET", "/me"): {},
    ("GET", "/audit/events"): {},
    ("GET", "/audit/access-log"): {},
    ("GET", "/stats"): {},
    ("GET", "/reports"): {},
    ("GET", "/exports/follow-ups"): {"params": {"status": "overdue"}},
    ("GET", "/exports/cases"): {},
    ("GET", "/healthz"): {},
    ("GET", "/readyz"): {},
    ("GET", "/problems"): {},
    ("GET", "/problems/{code}"): {},
    ("POST", "/schools/{school_id}/imports/children"): {
        "files": {"file": ("register.csv", "学号,姓名,监护人,与儿童关系,父母外出情况,班主任\n"
                           "1,王小明,李奶奶,奶奶,双亲外出,a-teacher\n".encode(), "text/csv")},
        "data": {"dry_run": "true"}},
    ("POST", "/schools/{school_id}/imports/teachers"): {
        "files": {"file": ("teachers.csv", "工号,姓名,角色\nT9,王芳,班主任\n".encode(), "text/csv")},
        "data": {"dry_run": "true"}},
}
ROLES = ["teacher", "supervisor", "auditor", "admin"]  # all of school-a (the admin of none)
#: The one route an admin may take on any school's case: a guardian's access request
#: (``case_for_access_request``: the others' scope as everywhere, an admin's every school).
ADMIN_ANY_SCHOOL = {("GET", "/cases/{case_id}/access-request")}


def routes(app: FastAPI) -> Iterator[tuple[str, str, Any]]:
    """(method, path under /api/v1, route) of every API route (not the web pages')."""
    for path, route in api_routes(app):
        if not path.startswith(V1):
            continue
        for method in route.methods:
            yield method, path.removeprefix(V1), route


def calls(dependant: Any) -> Iterator[Any]:
    """Every callable a route's dependency tree runs."""
    for dep in dependant.dependencies:
        yield dep.call
        yield from calls(dep)


# --------------------------------------------------------------------------- declarations
def test_every_route_declares_a_permission_and_has_a_matrix_example(api: Api) -> None:
    declared = {(m, p): route_permission(r) for m, p, r in routes(api.app)}
    assert None not in declared.values(), [k for k, v in declared.items() if v is None]
    assert set(declared) == set(EXAMPLES)


def test_an_app_with_a_route_lacking_a_permission_is_refused() -> None:
    app = FastAPI()

    @app.get("/api/v1/undeclared")
    async def undeclared() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="declares no permission"):
        _check_permissions(app)


def test_every_write_route_declares_a_write_permission_that_no_auditor_holds(api: Api) -> None:
    for method, path, route in routes(api.app):
        if method in WRITE_METHODS:
            assert route_permission(route) in WRITES, (method, path)
    assert not GRANTS[UserRole.AUDITOR] & WRITES
    assert not GRANTS[UserRole.ADMIN] & WRITES


def test_every_route_taking_a_case_id_checks_the_case_is_in_scope(api: Api) -> None:
    for method, path, route in routes(api.app):
        if "{case_id}" in path:
            scope = case_for_access_request if (method, path) in ADMIN_ANY_SCHOOL else case_in_scope
            assert scope in set(calls(route.dependant)), (method, path)


# --------------------------------------------------------------------------- behaviour
def _fixtures(api: Api, role: str, n: int) -> dict[str, dict[str, str]]:
    """A fresh case in each school, with one of its open follow-ups."""
    cases = {}
    for school, opener in ((SCHOOL_A, "supervisor"), (SCHOOL_B, "supervisor_b")):
        created = api.identify(opener, n=n, school=school)
        cases[school] = {"case_id": created["case_id"],
                         "follow_up_id": created["scheduled"][0]["follow_up_id"]}
    return cases


def _send(api: Api, who: str, method: str, path: str, ids: dict[str, str], n: int) -> Any:
    example = dict(EXAMPLES[(method, path)])
    url = path.format(code="illegal-step", teacher_id="a-teacher", school_id=SCHOOL_A, **ids)
    if example.get("json") == "identify":
        example["json"] = identify_body(SCHOOL_A, 9000 + n)
    return api.request(method, url, who=who, **example)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_its_permissions_and_schools_allow(api: Api, role: str) -> None:
    n = ROLES.index(role) + 1
    cases = _fixtures(api, role, n)
    other = cases[SCHOOL_B]["case_id"]
    other_version = api.get(f"/cases/{other}", who="supervisor_b").json()["version"]
    user_role = PEOPLE[role][1]

    for method, path, route in sorted(routes(api.app), key=lambda r: (r[1], r[0])):
        permission = route_permission(route)
        assert permission is not None
        for school in (SCHOOL_A, SCHOOL_B):
            response = _send(api, role, method, path, cases[school], n)
            where = f"{role} {method} {path} on a {school} case"
            if permission is Permission.PUBLIC:
                assert response.status_code == 200, where
            elif not granted(user_role, permission):
                assert response.status_code == 403, where
                assert response.json()["type"] == "/api/v1/problems/forbidden"
            elif "{case_id}" in path and school == SCHOOL_B and not (
                user_role is UserRole.ADMIN and (method, path) in ADMIN_ANY_SCHOOL
            ):
                assert response.status_code == 404, where
                assert response.json()["type"] == "/api/v1/problems/case-not-found", where
            else:
                # Allowed: the domain may still refuse the step (409/422), never auth or scope.
                assert response.status_code not in (401, 403, 404), (where, response.text)
                assert response.status_code < 500, (where, response.text)

    # Nothing happened to the other school's case, and nobody read it (but an admin
    # answering an access request, which the log shows).
    assert api.get(f"/cases/{other}", who="supervisor_b").json()["version"] == other_version
    log = api.accounts.store.access_log(case_id=other)
    assert {e.user_id for e in log} <= {"b-supervisor"} | (
        {"admin"} if user_role is UserRole.ADMIN else set())
    assert {e.resource for e in log if e.user_id == "admin"} <= {"access-request"}


@pytest.mark.parametrize("role", ["teacher", "supervisor", "auditor"])
def test_a_case_of_another_school_is_indistinguishable_from_a_missing_one(api: Api, role: str) -> None:
    other = api.identify("supervisor_b", school=SCHOOL_B)["case_id"]
    missing = "00000000-0000-4000-8000-000000000000"
    hidden = api.get(f"/cases/{other}", who=role).json()
    absent = api.get(f"/cases/{missing}", who=role).json()
    for problem, case_id in ((hidden, other), (absent, missing)):
        problem.pop("request_id")
        problem["detail"] = problem["detail"].replace(case_id, "<id>")
        problem["instance"] = problem["instance"].replace(case_id, "<id>")
    assert hidden == absent


def test_refusing_another_schools_case_reads_the_store_as_a_missing_case_does(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same work for both 404s (a timing difference would tell which students have a
    case elsewhere): one indexed read of the store each, neither decoding an event."""
    other = api.identify("supervisor_b", school=SCHOOL_B)["case_id"]
    api.catch_up()  # the view has it: its school alone would already refuse it
    reads: list[str] = []
    cases = api.caretrail.cases
    for name in ("school_of", "has_events"):
        real = getattr(cases, name)
        monkeypatch.setattr(cases, name, lambda case_id, real=real, name=name: (
            reads.append(name), real(case_id))[1])
    decoded: list[object] = []
    to_event = cases.mapper.to_domain_event
    monkeypatch.setattr(cases.mapper, "to_domain_event", lambda e: (decoded.append(e), to_event(e))[1])
    assert api.get(f"/cases/{other}", who="teacher").status_code == 404
    assert api.get("/cases/00000000-0000-4000-8000-000000000000", who="teacher").status_code == 404
    assert reads == ["has_events", "school_of"]
    assert decoded == []


@pytest.mark.parametrize("role", ["teacher", "supervisor", "auditor"])
def test_lists_cover_only_the_callers_schools_and_refuse_others(api: Api, role: str) -> None:
    api.identify("supervisor", n=1, school=SCHOOL_A)
    api.identify("supervisor_b", n=1, school=SCHOOL_B)
    api.catch_up()
    user_role = PEOPLE[role][1]
    for method, path, route in routes(api.app):
        permission = route_permission(route)
        names = {p.alias for p in route.dependant.query_params} | {
            p.alias for call in calls(route.dependant) for p in _query_params(route, call)}
        if method != "GET" or "school_id" not in names or not granted(user_role, permission):
            continue
        refused = api.get(path, who=role, params={"school_id": SCHOOL_B})
        assert refused.status_code == 403, (role, path)
        assert refused.json()["type"] == "/api/v1/problems/school-out-of-scope"
        response = api.get(path, who=role)
        if not response.headers["content-type"].startswith("application/json"):
            continue  # a file (the exports): tests/e2e/api/test_reports.py reads them
        listed = response.json()
        for item in listed.get("items", []) if isinstance(listed, dict) else []:
            if "school_id" in item:
                assert item["school_id"] == SCHOOL_A, (role, path)


def _query_params(route: Any, call: Any) -> list[Any]:
    def walk(dependant: Any) -> Iterator[Any]:
        for dep in dependant.dependencies:
            if dep.call is call:
                yield from dep.query_params
            yield from walk(dep)
    return list(walk(route.dependant))
