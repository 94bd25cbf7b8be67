"""The guardian's consent over HTTP: at identification, later, withdrawn; the case shows it."""

from __future__ import annotations

from tests.e2e.api.conftest import Api

SIGNED = {"given_by": "李奶奶", "relation": "grandmother", "method": "signed_form",
          "form_number": "XJ-2026-0042", "given_on": "2026-08-28"}


def test_consent_given_at_identification_is_on_the_case(api: Api) -> None:
    case_id = api.identify(consent=SIGNED)["case_id"]
    case = api.get(f"/cases/{case_id}", who="teacher", headers={"X-Purpose": "test"}).json()
    assert case["consent"] == {**SIGNED, "witness": None}
    assert case["consent_withdrawal"] is None


def test_consent_recorded_later_then_withdrawn_opens_the_supervisors_erasure_decision(api: Api) -> None:
    case_id = api.identify()["case_id"]
    assert api.get(f"/cases/{case_id}", who="teacher").json()["consent"] is None
    verbal = {**SIGNED, "method": "verbal", "form_number": None, "witness": "王老师"}
    recorded = api.post(f"/cases/{case_id}/consent", who="teacher", json={"consent": verbal})
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["events"] == ["ConsentRecorded"]
    withdrawn = api.post(f"/cases/{case_id}/consent-withdrawal", who="teacher",
                         json={"withdrawn_by": "李奶奶", "relation": "grandmother", "note": "搬家"})
    assert withdrawn.status_code == 200, withdrawn.text
    (task,) = withdrawn.json()["scheduled"]
    assert (task["kind"], task["assignee_role"], task["assignee_id"]) == (
        "erasure_decision", "supervisor", None)
    case = api.get(f"/cases/{case_id}", who="teacher").json()
    assert case["consent_withdrawal"]["withdrawn_by"] == "李奶奶"
    api.catch_up()
    tasks = api.get("/me/tasks", who="supervisor", params={"within_days": 15}).json()["items"]
    assert [t["kind"] for t in tasks if t["case_id"] == case_id] == ["erasure_decision"]


def test_a_signed_form_without_its_number_is_refused_and_records_nothing(api: Api) -> None:
    case_id = api.identify()["case_id"]
    version = api.get(f"/cases/{case_id}", who="teacher").json()["version"]
    refused = api.post(f"/cases/{case_id}/consent", who="teacher",
                       json={"consent": {**SIGNED, "form_number": None}})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert any(e["loc"][-1] == "form_number" for e in refused.json()["errors"]), refused.text
    assert api.get(f"/cases/{case_id}", who="teacher").json()["version"] == version


def test_an_auditor_records_no_consent(api: Api) -> None:
    case_id = api.identify()["case_id"]
    response = api.post(f"/cases/{case_id}/consent", who="auditor", json={"consent": SIGNED})
    assert response.status_code == 403
