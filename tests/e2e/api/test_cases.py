"""Identifying children, listing cases, reading one case now, at a version, as of a time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from tests.e2e.api.conftest import SCHOOL_A, SCHOOL_B, Api, identify_body


def test_identifying_a_child_answers_201_with_the_case_its_version_and_follow_ups(api: Api) -> None:
    response = api.post("/cases", who="teacher", json=identify_body())
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "identified"
    assert body["version"] == len(body["events"]) >= 2
    assert body["events"][0] == "Identified"
    assert "home_visit" in [t["kind"] for t in body["scheduled"]]
    assert response.headers["location"] == f"/api/v1/cases/{body['case_id']}"
    assert response.headers["etag"] == f'"{body["version"]}"'
    assert body["position"] >= body["version"]


def test_identifying_the_same_child_twice_is_a_409_case_exists(api: Api) -> None:
    api.identify()
    response = api.post("/cases", who="supervisor", json=identify_body())
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/api/v1/problems/case-exists"


def test_a_teacher_cannot_open_a_case_in_another_school(api: Api) -> None:
    response = api.post("/cases", who="teacher", json=identify_body(SCHOOL_B))
    assert response.status_code == 403
    assert response.json()["type"] == "/api/v1/problems/school-out-of-scope"


def test_unknown_fields_are_rejected_not_dropped(api: Api) -> None:
    response = api.post("/cases", who="teacher", json=identify_body(nickname="小明"))
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "/api/v1/problems/validation-error"
    assert problem["errors"][0]["loc"] == ["body", "nickname"]
    assert problem["errors"][0]["type"] == "extra_forbidden"


def test_times_without_a_utc_offset_are_rejected(api: Api) -> None:
    response = api.post("/cases", who="teacher", json=identify_body(occurred_at="2026-09-01T08:00:00"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "occurred_at"]


def test_validation_problems_never_echo_the_submitted_personal_data(api: Api) -> None:
    body = identify_body()
    body["guardian"]["phone"] = "call 王奶奶 please"
    response = api.post("/cases", who="teacher", json=body)
    assert response.status_code == 422
    assert "王奶奶" not in response.text


def test_an_occurred_at_in_the_future_is_refused_by_the_domain(api: Api) -> None:
    later = (api.clock() + timedelta(days=1)).isoformat()
    response = api.post("/cases", who="teacher", json=identify_body(occurred_at=later))
    assert response.status_code == 422
    assert response.json()["type"] == "/api/v1/problems/occurred-in-future"


@pytest.mark.parametrize("overrides", [
    {"occurred_at": "0001-01-01T00:00:00+08:00"},
    {"occurred_at": "1900-01-01T00:00:00+08:00"},
    {"occurred_at": 1700000000},
    {"child": {"name": "王小明", "birth_date": "2999-01-01"}},
], ids=["year 1", "1900", "a number", "born in 2999"])
def test_an_implausible_date_is_refused_and_records_nothing(
    api: Api, overrides: dict[str, Any]
) -> None:
    before = api.caretrail.cases.position()
    response = api.post("/cases", who="teacher", json=identify_body(**overrides))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert api.caretrail.cases.position() == before


@pytest.mark.parametrize("met", ["yes", 1, "off", None])
def test_guardian_met_must_be_true_or_false(api: Api, met: Any) -> None:
    case_id = api.identify()["case_id"]
    before = api.caretrail.cases.position()
    response = api.post(f"/cases/{case_id}/home-visits", who="teacher", json={"guardian_met": met})
    assert response.status_code == 422, response.text
    assert api.caretrail.cases.position() == before
    assert api.caretrail.cases.get_case(UUID(case_id)).state == "identified"


def test_reading_a_case_shows_its_personal_data_and_etag(api: Api) -> None:
    created = api.identify()
    response = api.get(f"/cases/{created['case_id']}", who="teacher")
    assert response.status_code == 200
    case = response.json()
    assert case["child"]["name"] == "王小明"
    assert case["guardian"]["relation"] == "grandmother"
    assert case["version"] == created["version"]
    assert {t["kind"] for t in case["open_follow_ups"]} == {t["kind"] for t in created["scheduled"]}
    assert response.headers["etag"] == f'"{created["version"]}"'


def test_a_case_reads_as_of_an_earlier_version_and_an_earlier_time(api: Api) -> None:
    created = api.identify()
    case_id = created["case_id"]
    first_recorded = api.clock()
    api.clock.advance(days=2)
    visit = api.post(f"/cases/{case_id}/home-visits", who="teacher", json={"guardian_met": True})
    assert visit.json()["state"] == "visited"

    now = api.get(f"/cases/{case_id}", who="auditor").json()
    then = api.get(f"/cases/{case_id}", who="auditor", params={"version": created["version"]}).json()
    as_of = api.get(f"/cases/{case_id}", who="auditor",
                    params={"as_of": (first_recorded + timedelta(hours=1)).isoformat()}).json()
    assert now["state"] == "visited"
    assert then["state"] == as_of["state"] == "identified"
    assert then["version"] == as_of["version"] == created["version"]


def test_a_version_the_case_has_not_reached_is_404(api: Api) -> None:
    created = api.identify()
    later = {"version": created["version"] + 1}
    response = api.get(f"/cases/{created['case_id']}", who="teacher", params=later)
    assert response.status_code == 404
    assert response.json()["type"] == "/api/v1/problems/version-not-found"


def test_a_case_as_of_a_time_before_it_existed_is_404(api: Api) -> None:
    case_id = api.identify()["case_id"]
    before = (api.clock() - timedelta(days=1)).isoformat()
    response = api.get(f"/cases/{case_id}", who="teacher", params={"as_of": before})
    assert response.status_code == 404


def test_the_case_list_is_filtered_scoped_and_paginated(api: Api) -> None:
    for n in range(3):
        api.identify(n=n + 1)
    api.identify("teacher_b", n=1, school=SCHOOL_B)
    api.catch_up()

    first = api.get("/cases", who="supervisor", params={"limit": 2}).json()
    second = api.get("/cases", who="supervisor", params={"limit": 2, "after": first["next_cursor"]}).json()
    ids = [c["case_id"] for c in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 3
    assert second["next_cursor"] is None
    assert {c["school_id"] for c in first["items"] + second["items"]} == {SCHOOL_A}
    assert "child" not in first["items"][0]  # lists carry no personal data

    visited = api.get("/cases", who="supervisor", params={"state": "visited"}).json()
    assert visited["items"] == []
    other = api.get("/cases", who="supervisor", params={"school_id": SCHOOL_B})
    assert other.status_code == 403


def test_a_page_larger_than_100_and_a_forged_cursor_are_422(api: Api) -> None:
    assert api.get("/cases", who="teacher", params={"limit": 101}).status_code == 422
    response = api.get("/cases", who="teacher", params={"after": "not-a-cursor"})
    assert response.status_code == 422
    assert response.json()["type"] == "/api/v1/problems/bad-cursor"


def test_a_case_id_that_is_not_a_uuid_is_422_and_an_unknown_one_404(api: Api) -> None:
    assert api.get("/cases/123", who="teacher").status_code == 422
    response = api.get("/cases/00000000-0000-4000-8000-000000000000", who="teacher")
    assert response.status_code == 404
    assert response.json()["type"] == "/api/v1/problems/case-not-found"
    assert SCHOOL_A  # keeps the import meaningful for readers: lists above are school-a only
