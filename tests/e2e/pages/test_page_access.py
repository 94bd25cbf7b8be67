"""Who may open which page: every page of the site, every role, one matrix.

A page added without a row here fails the first test; each row says what each role gets
for a case of its own school (school A; the administrator belongs to none).
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from adapters.driving.api.app import PREFIX, api_routes
from tests.e2e.pages.conftest import Web

ROLES = ("teacher", "supervisor", "auditor", "admin")
#: (method, path) -> the status each role gets, in the order of ROLES. 303: sent elsewhere.
MATRIX: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("GET", "/"): (303, 303, 303, 403),
    ("GET", "/tasks"): (200, 200, 403, 403),
    ("GET", "/board"): (403, 200, 200, 403),
    ("GET", "/figures"): (403, 200, 200, 403),
    ("POST", "/board/pairing"): (403, 422, 403, 403),
    ("GET", "/cases"): (200, 200, 200, 403),
    ("GET", "/cases/{case_id}"): (200, 200, 200, 404),
    ("GET", "/cases/{case_id}/steps/{step}"): (200, 200, 409, 404),
    ("POST", "/cases/{case_id}/steps/{step}"): (303, 303, 409, 404),
    ("GET", "/cases/{case_id}/as-of"): (200, 200, 200, 403),
    ("GET", "/cases/{case_id}/export"): (403, 200, 200, 403),
    ("POST", "/cases/{case_id}/export"): (403, 200, 200, 403),
    ("GET", "/access-log"): (403, 403, 200, 403),
    ("GET", "/imports"): (403, 200, 403, 403),
    ("POST", "/imports"): (403, 422, 403, 403),  # the supervisor's: no school, no file chosen
    # Reports are counts: the administrator too (of no school); the named list is not theirs.
    ("GET", "/reports"): (403, 200, 200, 200),
    ("GET", "/reports/file"): (403, 200, 200, 200),
    ("POST", "/reports/named"): (403, 200, 200, 403),
    ("GET", "/lists/overdue"): (403, 200, 200, 403),
    ("GET", "/lists/cases"): (200, 200, 200, 403),
    ("GET", "/school-year/handover"): (403, 200, 403, 403),
    ("POST", "/school-year/handover"): (403, 422, 403, 403),
    ("GET", "/school-year/rollover"): (403, 200, 403, 403),
    ("POST", "/school-year/rollover"): (403, 422, 403, 403),
    ("GET", "/school-year/closing"): (403, 200, 403, 403),
    ("POST", "/school-year/closing"): (403, 422, 403, 403),
    # (last: the supervisor's erasure needs a reason, and after it the case takes no steps)
    ("GET", "/cases/{case_id}/erase"): (403, 200, 403, 403),
    ("POST", "/cases/{case_id}/erase"): (403, 422, 403, 403),
}
#: Pages anyone may open, logged in or not.
OPEN = {("GET", "/login"), ("POST", "/login"), ("GET", "/invite/{token}"), ("POST", "/invite/{token}"),
        ("GET", "/language"), ("POST", "/logout")}


def _page_routes(web: Web) -> set[tuple[str, str]]:
    return {(method, path) for path, route in api_routes(web.app)
            if isinstance(route, APIRoute) and not path.startswith(PREFIX) and path not in ("/docs",)
            for method in route.methods}


def test_every_page_is_in_the_matrix_or_open_to_all(web: Web) -> None:
    assert _page_routes(web) == set(MATRIX) | OPEN


def _request(web: Web, who: str, method: str, path: str, case_id: str) -> Any:
    url = path.replace("{case_id}", case_id).replace("{step}", "add_note")
    if method == "GET":
        return web.get(url, who)
    token = web.csrf(web.get("/cases" if who != "admin" else "/", who))
    return web.post(url, who, data={"csrf": token, "text": "矩阵", "purpose": "矩阵"})


def test_each_role_gets_what_the_matrix_says(web: Web) -> None:
    case_id = web.open_case()
    for who in ROLES:
        web.log_in(who)
    got = {key: tuple(_request(web, who, *key, case_id).status_code for who in ROLES) for key in MATRIX}
    assert got == MATRIX


def test_a_visitor_without_a_session_is_sent_to_log_in_from_every_page(web: Web) -> None:
    case_id = web.open_case()
    for method, path in MATRIX:
        url = path.replace("{case_id}", case_id).replace("{step}", "add_note")
        answer = web.get(url) if method == "GET" else web.post(url, data={"csrf": "x"})
        assert answer.status_code == 303, (method, path)
        assert answer.headers["location"].startswith("/login"), (method, path)
