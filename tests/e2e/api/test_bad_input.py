"""Input that is not what the API takes: a 4xx problem, and nothing recorded or logged."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.e2e.api.conftest import Api


def _cursor(*key: Any) -> str:
    """A cursor a client made up (ours are opaque, but base64 JSON all the same)."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/follow-ups", "/audit/events", "/audit/access-log"])
def test_a_case_filter_that_is_not_a_uuid_is_422(api: Api, path: str) -> None:
    response = api.get(path, who="auditor", params={"case_id": "not-a-uuid"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["query", "case_id"]


def test_a_case_filter_is_read_as_a_uuid_in_any_spelling(api: Api) -> None:
    case_id = api.identify()["case_id"]
    api.catch_up()
    lower = api.get("/audit/events", who="auditor", params={"case_id": case_id}).json()["items"]
    upper = api.get("/audit/events", who="auditor", params={"case_id": case_id.upper()}).json()
    assert lower
    assert upper["items"] == lower


@pytest.mark.parametrize("key", [("x", "y"), (None, None), ("2026-11-29T00:00:00", "k"), (-5,), (1.5,)],
                         ids=["two words", "nulls", "a time without offset", "negative", "a float"])
@pytest.mark.parametrize("path", ["/cases", "/follow-ups", "/audit/events", "/audit/access-log",
                                  "history"])
def test_a_cursor_we_did_not_make_is_422_bad_cursor(api: Api, path: str, key: tuple[Any, ...]) -> None:
    if path == "history":
        path = f"/cases/{api.identify()['case_id']}/history"
    response = api.get(path, who="auditor", params={"after": _cursor(*key)})
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "/api/v1/problems/bad-cursor"


#: Every route that takes a cursor, who may call it, and its cursor's kinds.
CURSOR_ROUTES = {
    "/cases": ("auditor", "time, id"), "/follow-ups": ("auditor", "time, id"),
    "/me/tasks": ("teacher", "time, id"), "/audit/events": ("auditor", "number"),
    "/audit/access-log": ("auditor", "number"), "history": ("auditor", "number"),
}
#: Cursors of the right shape holding what no store can: a number past SQLite's and
#: PostgreSQL's 64-bit integers, a NUL (PostgreSQL text refuses it), a lone surrogate (not
#: UTF-8).
OUT_OF_REACH = {
    "number": [(2**63,), (2**64,), (10**30,)],
    "time, id": [("2026-11-29T00:00:00+00:00", "a\x00b"), ("2026-11-29T00:00:00+00:00", "\ud800")],
}


@pytest.mark.parametrize("path", list(CURSOR_ROUTES))
def test_a_cursor_beyond_what_the_store_holds_is_422_bad_cursor(api: Api, path: str) -> None:
    who, kinds = CURSOR_ROUTES[path]
    if path == "history":
        path = f"/cases/{api.identify()['case_id']}/history"
    for key in OUT_OF_REACH[kinds]:
        response = api.get(path, who=who, params={"after": _cursor(*key)})
        assert response.status_code == 422, (key, response.text)
        assert response.json()["type"] == "/api/v1/problems/bad-cursor"
    if kinds == "number":  # the largest number a store holds is still a cursor
        assert api.get(path, who=who, params={"after": _cursor(2**63 - 1)}).status_code == 200


def test_a_non_ascii_purpose_header_is_refused_and_nothing_is_read_or_logged(api: Api) -> None:
    case_id = api.identify()["case_id"]
    response = api.get(f"/cases/{case_id}", who="auditor",
                       headers={"X-Purpose": "督导".encode()})  # type: ignore[dict-item]
    assert response.status_code == 422, response.text
    assert "?purpose=" in response.text
    log = api.get("/audit/access-log", who="auditor", params={"case_id": case_id}).json()["items"]
    assert log == []
    by_parameter = api.get(f"/cases/{case_id}", who="auditor", params={"purpose": "督导"})
    assert by_parameter.status_code == 200
    log = api.get("/audit/access-log", who="auditor", params={"case_id": case_id}).json()["items"]
    assert [e["purpose"] for e in log] == ["督导"]


@pytest.mark.parametrize(("body", "message"), [
    ({"text": "a\x00b"}, "text: holds a control character"),
    ({"text": "\u200b\u200b"}, "text: has no visible character"),
    ({"text": "\u3000"}, "text: has no visible character"),  # an ideographic space only
])
def test_text_that_is_not_readable_is_refused_and_records_nothing(
    api: Api, body: dict[str, Any], message: str
) -> None:
    case_id = api.identify()["case_id"]
    before = api.caretrail.cases.position()
    response = api.post(f"/cases/{case_id}/notes", who="teacher", json=body)
    assert response.status_code == 422, response.text
    assert message in response.text
    assert api.caretrail.cases.position() == before


def test_a_childs_name_with_a_control_character_is_refused(api: Api) -> None:
    from tests.e2e.api.conftest import identify_body

    body = identify_body(child={"name": "王\x07小明"})
    response = api.post("/cases", who="teacher", json=body)
    assert response.status_code == 422
    assert "child.name: holds a control character" in response.text


def test_text_with_line_breaks_and_tabs_is_taken(api: Api) -> None:
    case_id = api.identify()["case_id"]
    response = api.post(f"/cases/{case_id}/notes", who="teacher",
                        json={"text": "第一行\n\t第二行"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("path", "allowed"), [
    ("/cases", "GET, POST"),
    ("/cases/{case_id}/mentor", "DELETE, POST"),
    ("/cases/{case_id}/home-visits", "POST"),
])
def test_a_405_names_every_method_of_the_path_in_allow(api: Api, path: str, allowed: str) -> None:
    url = path.format(case_id="7f1c0e2a-0000-4000-8000-000000000000")
    response = api.request("PUT", url, who="supervisor", json={})
    assert response.status_code == 405, response.text
    assert response.json()["type"] == "/api/v1/problems/method-not-allowed"
    assert response.headers["allow"] == allowed


@pytest.mark.parametrize("number", ["0.5", "1764000000", "-1"])
@pytest.mark.parametrize(("path", "name"), [
    ("/stats", "since"), ("/audit/events", "from"), ("/audit/access-log", "to"), ("case", "as_of"),
])
def test_a_time_in_the_query_string_that_is_a_number_is_422(
    api: Api, path: str, name: str, number: str
) -> None:
    params = {name: number}
    if path == "case":
        path, params["purpose"] = f"/cases/{api.identify()['case_id']}", "督导"
    if path == "/stats":
        params["school_id"] = "school-a"
    who = "auditor" if path.startswith("/audit") else "supervisor"
    response = api.get(path, who=who, params=params)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert errors[0]["loc"] == ["query", name]
    assert "not a number" in errors[0]["msg"]


def test_a_time_in_a_body_that_is_a_number_in_text_is_422(api: Api) -> None:
    case_id = api.identify()["case_id"]
    response = api.post(f"/cases/{case_id}/home-visits", who="teacher",
                        json={"guardian_met": True, "occurred_at": "1764000000"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "occurred_at"]
