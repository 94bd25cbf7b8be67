"""A guardian's access request over HTTP: the child's data and everyone who read it, why."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tests.e2e.api.conftest import SCHOOL_B, Api

URL = "/cases/{}/access-request"


def _records(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


def _case_read_and_noted(api: Api) -> str:
    case_id: str = api.identify()["case_id"]
    api.post(f"/cases/{case_id}/notes", who="teacher", json={"text": "=HYPERLINK(\"x\") 爱画画"})
    api.get(f"/cases/{case_id}", who="teacher", headers={"X-Purpose": "home visit planning"})
    return case_id


def test_the_answer_holds_every_event_decoded_and_every_read_with_its_purpose(api: Api) -> None:
    case_id = _case_read_and_noted(api)
    found = _records(api.get(URL.format(case_id), who="supervisor",
                             params={"purpose": "监护人的查阅请求"}))
    request, *rest = found
    assert (request["record"], request["who"], request["purpose"]) == (
        "request", "a-supervisor", "监护人的查阅请求")
    assert request["data"] == {"case_id": case_id, "school_id": "school-a"}
    events = [r for r in rest if r["record"] == "event"]
    assert [e["number"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "Identified"
    assert events[0]["data"]["child"]["name"] == "王小明"
    assert events[0]["data"]["guardian"]["phone"] == "13800000000"
    assert any(e["type"] == "NoteAdded" and "爱画画" in e["data"]["text"] for e in events)
    reads = [r for r in rest if r["record"] == "access"]
    assert [r["record"] for r in rest] == ["event"] * len(events) + ["access"] * len(reads)
    assert [(r["who"], r["type"], r["purpose"]) for r in reads] == [
        ("a-teacher", "case", "home visit planning"),
        ("a-supervisor", "access-request", "监护人的查阅请求"),  # this answer, logged first
    ]


def test_the_csv_answer_opens_in_excel_and_runs_no_formula(api: Api) -> None:
    case_id = _case_read_and_noted(api)
    response = api.get(URL.format(case_id), who="supervisor",
                       params={"format": "csv"}, headers={"X-Purpose": "guardian request"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0]["record"] == "request"
    (note,) = [r for r in rows if r["type"] == "NoteAdded"]
    assert json.loads(note["data"])["text"].startswith("=HYPERLINK")  # inside JSON: no formula
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
    assert [r["who"] for r in rows if r["record"] == "access"] == ["a-teacher", "a-supervisor"]


def test_without_a_purpose_it_is_refused_and_nothing_is_logged(api: Api) -> None:
    case_id = api.identify()["case_id"]
    refused = api.get(URL.format(case_id), who="supervisor")
    assert refused.status_code == 422
    assert refused.json()["type"] == "/api/v1/problems/purpose-required"
    assert api.accounts.store.access_log(case_id=case_id) == []


def test_only_a_supervisor_of_the_school_or_an_admin_answers(api: Api) -> None:
    case_id = api.identify()["case_id"]
    other = api.identify("supervisor_b", school=SCHOOL_B)["case_id"]
    purpose = {"X-Purpose": "guardian request"}
    assert api.get(URL.format(case_id), who="teacher", headers=purpose).status_code == 403
    assert api.get(URL.format(case_id), who="auditor", headers=purpose).status_code == 403
    assert api.get(URL.format(other), who="supervisor", headers=purpose).status_code == 404
    for case in (case_id, other):
        records = _records(api.get(URL.format(case), who="admin", headers=purpose))
        assert records[0]["who"] == "admin"
    missing = "00000000-0000-4000-8000-000000000000"
    assert api.get(URL.format(missing), who="admin", headers=purpose).status_code == 404
    assert {e.user_id for e in api.accounts.store.access_log(case_id=other)} == {"admin"}
