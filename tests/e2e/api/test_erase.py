"""``POST /cases/{id}/erase``: a supervisor of the school erases; twice is 409; others may not."""

from __future__ import annotations

from tests.e2e.api.conftest import Api, identify_body


def test_a_supervisor_erases_a_case_and_the_case_reads_erased(api: Api) -> None:
    made = api.post("/cases", who="teacher", json=identify_body(),
                    headers={"Idempotency-Key": "import-row-1"})
    assert made.status_code == 201, made.text
    case_id = made.json()["case_id"]
    api.clock.advance(hours=1)
    done = api.post(f"/cases/{case_id}/erase", who="supervisor", json={"reason": "guardian_request"})
    assert done.status_code == 200, done.text
    report = done.json()
    assert report["case_key_destroyed"] is True
    assert report["kept_responses_removed"] == 1  # the identification's kept answer
    case = api.get(f"/cases/{case_id}", who="teacher").json()
    assert case["child"]["name"] == "[erased]"
    assert "13800000000" not in str(case)
    assert case["state"] == "identified"
    exported = api.get(f"/cases/{case_id}/history/export", who="supervisor",
                       params={"format": "csv"}, headers={"X-Purpose": "guardian's request"})
    assert exported.status_code == 200, exported.text
    assert "[erased]" in exported.text
    assert "王小明" not in exported.text
    assert "李奶奶" not in exported.text
    history = api.get(f"/cases/{case_id}/history", who="supervisor").text
    assert "[erased]" in history
    assert "王小明" not in history
    assert "Erased" in history
    again = api.post(f"/cases/{case_id}/erase", who="supervisor", json={"reason": "other"})
    assert again.status_code == 409
    assert again.json()["type"].endswith("/already-erased")
    refused = api.post(f"/cases/{case_id}/notes", who="teacher", json={"text": "still here"})
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/case-erased")
    # The same child identified again: a new case.
    anew = api.identify()
    assert anew["case_id"] != case_id


def test_a_teacher_may_not_erase_and_another_school_sees_no_case(api: Api) -> None:
    case_id = api.identify()["case_id"]
    assert api.post(f"/cases/{case_id}/erase", who="teacher",
                    json={"reason": "other"}).status_code == 403
    assert api.post(f"/cases/{case_id}/erase", who="supervisor_b",
                    json={"reason": "other"}).status_code == 404
    bad = api.post(f"/cases/{case_id}/erase", who="supervisor", json={"reason": "bored"})
    assert bad.status_code == 422
    assert api.get(f"/cases/{case_id}", who="teacher").json()["child"]["name"] == "王小明"
