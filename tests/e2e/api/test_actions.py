"""Every step of a case over HTTP; illegal steps, If-Match, Idempotency-Key."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapters.driving.api.idempotency import CLAIM_TIMEOUT, request_fingerprint
from tests.crashes import claim_then_die
from tests.e2e.api.conftest import Api
from workflows.commands import AddNote


def step(api: Api, case_id: str, path: str, who: str = "teacher", **kwargs: Any) -> dict[str, Any]:
    response = api.post(f"/cases/{case_id}/{path}", who=who, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_case_goes_through_every_step_over_http(api: Api) -> None:
    case_id = api.identify()["case_id"]
    api.clock.advance(days=1)
    assert step(api, case_id, "home-visits", json={"guardian_met": True})["state"] == "visited"
    paired = step(api, case_id, "mentor", who="supervisor", json={"teacher_id": "a-mentor"})
    assert paired["state"] == "paired"
    assert "mentor_talk" in [t["kind"] for t in paired["scheduled"]]
    assert step(api, case_id, "counselling-sessions", json={"summary": "calm"})["state"] == "counselled"
    contact = step(api, case_id, "contacts", json={"party": "parent", "channel": "video"})
    assert contact["events"][0] == "ContactLogged"
    assert step(api, case_id, "notes", json={"text": "likes drawing"})["events"] == ["NoteAdded"]
    risk = step(api, case_id, "risk-level", json={"level": "high", "reason": "sleeps badly"})
    assert risk["events"][0] == "RiskLevelChanged"
    reviewed = step(api, case_id, "reviews", who="supervisor", json={"outcome": "continue"})
    assert reviewed["state"] == "reviewed"
    handed = step(api, case_id, "head-teacher", who="supervisor", json={"teacher_id": "a-teacher-2"})
    assert handed["events"][0] == "HeadTeacherAssigned"

    case = api.get(f"/cases/{case_id}", who="teacher").json()
    task = case["open_follow_ups"][0]
    done = step(api, case_id, f"follow-ups/{task['follow_up_id']}/completion", json={"note": "done by phone"})
    assert "FollowUpCompleted" in done["events"]

    released = api.request("DELETE", f"/cases/{case_id}/mentor", who="supervisor",
                           params={"reason": "teacher moved"})
    assert released.status_code == 200
    assert released.json()["events"][0] == "MentorReleased"
    closed = step(api, case_id, "closure", who="supervisor", json={"reason": "parents_returned"})
    assert closed["state"] == "closed"
    reopened = step(api, case_id, "reopening", who="supervisor", json={"reason": "parents left again"})
    assert reopened["state"] == "identified"
    final = api.get(f"/cases/{case_id}", who="teacher").json()
    assert final["version"] == closed["version"] + len(reopened["events"]) == reopened["version"]


def test_an_illegal_step_is_409_and_names_the_state_and_the_allowed_actions(api: Api) -> None:
    case_id = api.identify()["case_id"]
    response = api.post(f"/cases/{case_id}/reviews", who="teacher", json={"outcome": "continue"})
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "/api/v1/problems/illegal-step"
    assert problem["state"] == "identified"
    assert "record_home_visit" in problem["allowed"]
    assert "review_case" not in problem["allowed"]


def test_if_match_with_an_old_version_is_412_and_records_nothing(api: Api) -> None:
    created = api.identify()
    case_id = created["case_id"]
    etag = f'"{created["version"]}"'
    first = api.post(f"/cases/{case_id}/notes", who="teacher", json={"text": "one"},
                     headers={"If-Match": etag})
    assert first.status_code == 200
    stale = api.post(f"/cases/{case_id}/notes", who="teacher", json={"text": "two"},
                     headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["type"] == "/api/v1/problems/version-conflict"
    assert stale.json()["current_version"] == first.json()["version"]
    assert api.get(f"/cases/{case_id}", who="teacher").json()["version"] == first.json()["version"]


def test_a_malformed_if_match_is_422(api: Api) -> None:
    case_id = api.identify()["case_id"]
    response = api.post(f"/cases/{case_id}/notes", who="teacher", json={"text": "x"},
                        headers={"If-Match": "W/abc"})
    assert response.status_code == 422


def test_a_retried_post_with_the_same_idempotency_key_adds_one_event_and_answers_the_same(api: Api) -> None:
    case_id = api.identify()["case_id"]
    headers = {"Idempotency-Key": "visit-2026-09-01-a"}
    first = api.post(f"/cases/{case_id}/home-visits", who="teacher", json={"guardian_met": True},
                     headers=headers)
    version_after_first = api.get(f"/cases/{case_id}", who="teacher").json()["version"]
    again = api.post(f"/cases/{case_id}/home-visits", who="teacher", json={"guardian_met": True},
                     headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert api.get(f"/cases/{case_id}", who="teacher").json()["version"] == version_after_first
    history = api.get(f"/cases/{case_id}/history", who="teacher").json()["items"]
    assert [e["type"] for e in history].count("HomeVisited") == 1


def test_a_retried_identification_with_the_same_key_opens_one_case(api: Api) -> None:
    from tests.e2e.api.conftest import identify_body

    headers = {"Idempotency-Key": "identify-20260001"}
    first = api.post("/cases", who="teacher", json=identify_body(), headers=headers)
    again = api.post("/cases", who="teacher", json=identify_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content


def test_an_idempotency_key_reused_for_another_request_is_422(api: Api) -> None:
    case_id = api.identify()["case_id"]
    headers = {"Idempotency-Key": "k1"}
    assert api.post(f"/cases/{case_id}/notes", who="teacher", json={"text": "a"}, headers=headers).is_success
    reused = api.post(f"/cases/{case_id}/notes", who="teacher", json={"text": "b"}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["type"] == "/api/v1/problems/idempotency-key-reused"


def test_the_same_key_from_two_users_is_two_commands(api: Api) -> None:
    case_id = api.identify()["case_id"]
    headers = {"Idempotency-Key": "same"}
    one = api.post(f"/cases/{case_id}/notes", who="teacher", json={"text": "a"}, headers=headers).json()
    two = api.post(f"/cases/{case_id}/notes", who="supervisor", json={"text": "a"}, headers=headers).json()
    assert two["version"] == one["version"] + 1


def test_a_refused_command_is_not_remembered_so_a_retry_can_succeed_later(api: Api) -> None:
    case_id = api.identify()["case_id"]
    headers = {"Idempotency-Key": "pair-1"}
    body = {"teacher_id": "a-mentor"}
    refused = api.post(f"/cases/{case_id}/mentor", who="supervisor", json=body, headers=headers)
    assert refused.status_code == 409
    step(api, case_id, "home-visits", json={"guardian_met": False})
    retried = api.post(f"/cases/{case_id}/mentor", who="supervisor", json=body, headers=headers)
    assert retried.status_code == 200
    assert retried.json()["state"] == "paired"


def test_a_teacher_may_not_reassign_the_head_teacher(api: Api) -> None:
    case_id = api.identify()["case_id"]
    response = api.post(f"/cases/{case_id}/head-teacher", who="teacher", json={"teacher_id": "x"})
    assert response.status_code == 403
    assert response.json()["type"] == "/api/v1/problems/forbidden"


def test_a_body_over_the_size_cap_is_413(api: Api) -> None:
    case_id = api.identify()["case_id"]
    response = api.post(f"/cases/{case_id}/notes", who="teacher", json={"text": "x" * 70_000})
    assert response.status_code == 413
    assert response.json()["type"] == "/api/v1/problems/body-too-large"


def test_a_body_that_is_not_json_is_a_problem_not_a_crash(api: Api) -> None:
    case_id = api.identify()["case_id"]
    before = api.caretrail.cases.position()
    response = api.post(f"/cases/{case_id}/notes", who="teacher", content=b"{not json",
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/api/v1/problems/malformed-request"
    text = api.post(f"/cases/{case_id}/notes", who="teacher", content=b"hello",
                    headers={"Content-Type": "text/plain"})
    assert text.status_code in (415, 422)
    assert text.headers["content-type"] == "application/problem+json"
    assert api.caretrail.cases.position() == before



def test_a_copy_arriving_while_the_first_request_runs_is_409_until_the_claim_is_stale(api: Api) -> None:
    case_id = api.identify()["case_id"]
    url = f"/cases/{case_id}/notes"
    # A claim on the key, as a request still running (or a process that died) leaves it.
    held = request_fingerprint("POST", f"/api/v1{url}", AddNote(case_id=case_id, text="x"))
    api.accounts.store.claim_key("a-teacher", "k", held, api.clock(), stale_before=api.clock())
    busy = api.post(url, who="teacher", json={"text": "x"}, headers={"Idempotency-Key": "k"})
    assert busy.status_code == 409
    assert busy.json()["type"] == "/api/v1/problems/idempotency-key-in-flight"
    assert busy.headers["retry-after"] == "1"
    api.clock.advance(seconds=CLAIM_TIMEOUT.total_seconds() + 1)
    taken = api.post(url, who="teacher", json={"text": "x"}, headers={"Idempotency-Key": "k"})
    assert taken.status_code == 200
    assert taken.json()["events"] == ["NoteAdded"]


def test_a_retry_right_after_the_process_of_the_first_request_was_killed_runs_at_once(
    api: Api,
) -> None:
    case_id = api.identify()["case_id"]
    url = f"/cases/{case_id}/notes"
    fingerprint = request_fingerprint("POST", f"/api/v1{url}", AddNote(case_id=case_id, text="x"))
    auth = api.caretrail.settings.sqlite_dir / "auth.sqlite"
    # The first request's process claimed the key and was killed before it answered.
    claim_then_die({"driver": "sqlite", "path": str(auth)}, "a-teacher", "k", fingerprint, api.clock())
    retried = api.post(url, who="teacher", json={"text": "x"}, headers={"Idempotency-Key": "k"})
    assert retried.status_code == 200, retried.text  # no claim timeout waited for
    assert retried.json()["events"] == ["NoteAdded"]
    again = api.post(url, who="teacher", json={"text": "x"}, headers={"Idempotency-Key": "k"})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == retried.content


def test_a_step_happens_when_the_request_says_and_now_when_it_says_nothing(api: Api) -> None:
    case_id = api.identify()["case_id"]
    api.clock.advance(days=10)
    paper = api.clock() - timedelta(days=3)  # backfilling a paper record
    step(api, case_id, "home-visits", json={"guardian_met": True, "occurred_at": paper.isoformat()})
    api.clock.advance(hours=1)
    step(api, case_id, "notes", json={"text": "grandmother is ill"})
    items = api.get(f"/cases/{case_id}/history", who="teacher").json()["items"]
    visit = next(e for e in items if e["type"] == "HomeVisited")
    note = next(e for e in items if e["type"] == "NoteAdded")
    assert datetime.fromisoformat(visit["occurred_at"]) == paper
    assert datetime.fromisoformat(note["occurred_at"]) == api.clock()


def test_the_familys_details_are_amended_and_the_case_as_it_stood_keeps_the_first(api: Api) -> None:
    case_id = api.identify()["case_id"]
    first = api.get(f"/cases/{case_id}", who="teacher").json()
    aunt = {"name": "张阿姨", "relation": "aunt", "phone": "13900000000"}
    done = step(api, case_id, "details", json={"guardian": aunt})
    assert done["events"] == ["DetailsAmended"]
    assert api.get(f"/cases/{case_id}", who="teacher").json()["guardian"] == aunt
    then = api.get(f"/cases/{case_id}", who="teacher", params={"version": first["version"]}).json()
    assert then["guardian"] == first["guardian"]
    api.catch_up()
    (row,) = [r for r in api.get("/audit/events", who="auditor", params={"case_id": case_id}).json()["items"]
              if r["event_type"] == "DetailsAmended"]
    assert row["summary"] == "details amended: guardian (another guardian)"  # no name in the log
    same = api.post(f"/cases/{case_id}/details", who="teacher", json={"guardian": aunt})
    assert same.status_code == 422
    assert same.json()["type"] == "/api/v1/problems/invalid-command"
