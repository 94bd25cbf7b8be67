"""History from the event store, exports, and the access log of personal-data reads."""

from __future__ import annotations

import csv
import io
import json
import threading
from functools import partial
from typing import Any
from uuid import UUID

import httpx
import pytest

from adapters.driving.api.heavy_reads import HeavyReads
from adapters.settings import Settings
from tests.e2e.api.conftest import Api


def _case_with_steps(api: Api) -> str:
    case_id = api.identify()["case_id"]
    api.clock.advance(hours=3)
    api.post(f"/cases/{case_id}/home-visits", who="teacher", json={"guardian_met": True})
    api.post(f"/cases/{case_id}/notes", who="supervisor", json={"text": "grandmother is ill"})
    return str(case_id)


def test_history_lists_every_event_in_order_with_actor_role_and_both_times(api: Api) -> None:
    case_id = _case_with_steps(api)
    items = api.get(f"/cases/{case_id}/history", who="teacher").json()["items"]
    assert [e["version"] for e in items] == list(range(1, len(items) + 1))
    assert items[0]["type"] == "Identified"
    assert items[0]["data"]["child"]["name"] == "王小明"
    note = next(e for e in items if e["type"] == "NoteAdded")
    assert (note["actor_id"], note["role"]) == ("a-supervisor", "supervisor")
    assert note["data"] == {"text": "grandmother is ill"}
    visit = next(e for e in items if e["type"] == "HomeVisited")
    assert visit["recorded_at"] > items[0]["recorded_at"]


def test_history_pages_neither_repeat_nor_skip_events(api: Api) -> None:
    case_id = _case_with_steps(api)
    everything = api.get(f"/cases/{case_id}/history", who="auditor").json()["items"]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"after": cursor} if cursor else {})
        page = api.get(f"/cases/{case_id}/history", who="auditor", params=params).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything


def test_export_as_json_lines_and_csv_carries_the_whole_history(api: Api) -> None:
    case_id = _case_with_steps(api)
    headers = {"X-Purpose": "annual inspection"}
    jsonl = api.get(f"/cases/{case_id}/history/export", who="auditor", headers=headers)
    assert jsonl.status_code == 200
    assert jsonl.headers["content-type"] == "application/x-ndjson"
    assert "attachment" in jsonl.headers["content-disposition"]
    events = [json.loads(line) for line in jsonl.text.splitlines()]
    history = api.get(f"/cases/{case_id}/history", who="auditor").json()["items"]
    assert events == history

    as_csv = api.get(f"/cases/{case_id}/history/export", who="supervisor", headers=headers,
                     params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads the Chinese right
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [int(r["version"]) for r in rows] == [e["version"] for e in history]
    assert json.loads(rows[0]["data"])["child"]["name"] == "王小明"


def test_an_export_without_a_purpose_is_refused_and_not_logged(api: Api) -> None:
    case_id = _case_with_steps(api)
    response = api.get(f"/cases/{case_id}/history/export", who="auditor")
    assert response.status_code == 422
    assert response.json()["type"] == "/api/v1/problems/purpose-required"
    log = api.get("/audit/access-log", who="auditor", params={"case_id": case_id}).json()["items"]
    assert [e["resource"] for e in log] == []


def test_teachers_may_not_export(api: Api) -> None:
    case_id = _case_with_steps(api)
    response = api.get(f"/cases/{case_id}/history/export", who="teacher", headers={"X-Purpose": "x"})
    assert response.status_code == 403


def test_every_personal_data_read_is_in_the_access_log_with_its_purpose(api: Api) -> None:
    case_id = _case_with_steps(api)
    api.get(f"/cases/{case_id}", who="teacher", headers={"X-Purpose": "home visit prep"})
    api.get(f"/cases/{case_id}/history", who="supervisor", params={"purpose": "月度检查"})
    api.get(f"/cases/{case_id}/history/export", who="auditor", headers={"X-Purpose": "inspection"})
    api.get("/cases", who="teacher")  # a list has no personal data: not logged

    log = api.get("/audit/access-log", who="auditor", params={"case_id": case_id}).json()["items"]
    assert [(e["user_id"], e["role"], e["resource"], e["purpose"]) for e in log] == [
        ("a-teacher", "teacher", "case", "home visit prep"),
        ("a-supervisor", "supervisor", "history", "月度检查"),
        ("a-auditor", "auditor", "history-export", "inspection"),
    ]
    assert all(e["school_id"] == "school-a" and e["request_id"] for e in log)


def test_a_read_without_a_purpose_is_logged_as_unstated(api: Api) -> None:
    case_id = api.identify()["case_id"]
    api.get(f"/cases/{case_id}", who="teacher")
    log = api.get("/audit/access-log", who="auditor", params={"user_id": "a-teacher"}).json()["items"]
    assert [e["purpose"] for e in log] == ["unstated"]


def test_the_access_log_is_for_auditors_and_pages_in_order(api: Api) -> None:
    case_id = api.identify()["case_id"]
    for _ in range(3):
        api.get(f"/cases/{case_id}", who="teacher")
    assert api.get("/audit/access-log", who="supervisor").status_code == 403
    first = api.get("/audit/access-log", who="auditor", params={"limit": 2}).json()
    rest = api.get("/audit/access-log", who="auditor", params={"after": first["next_cursor"]}).json()
    ids = [e["entry_id"] for e in first["items"] + rest["items"]]
    assert ids == sorted(ids)
    assert len(ids) == 3


def _export(api: Api, case_id: str, who: str, **headers: str) -> httpx.Response:
    return api.get(f"/cases/{case_id}/history/export", who=who,
                   headers={"X-Purpose": "inspection", **headers})


def test_exports_beyond_the_bound_per_person_are_429_and_others_are_still_served(api: Api) -> None:
    case_id = _case_with_steps(api)
    heavy: HeavyReads = api.app.state.heavy_reads
    assert heavy.per_user == Settings().heavy_reads_per_user == 2
    held = [heavy.take("a-auditor") for _ in range(heavy.per_user)]  # two exports still running
    refused = _export(api, case_id, "auditor")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "5"
    assert refused.json()["type"] == "/api/v1/problems/too-many-heavy-reads"
    assert refused.json()["detail"] == "at most 2 exports per person at a time: retry when one is done"
    assert _export(api, case_id, "supervisor").status_code == 200  # another person
    log = api.get("/audit/access-log", who="auditor", params={"case_id": case_id}).json()["items"]
    assert [e["user_id"] for e in log if e["resource"] == "history-export"] == ["a-supervisor"]
    held.pop().release()
    assert _export(api, case_id, "auditor").status_code == 200
    assert (heavy.running("a-auditor"), heavy.running()) == (1, 1)  # the export gave its slot back


def test_exports_beyond_the_bound_of_the_server_are_429_for_everyone(api: Api) -> None:
    case_id = _case_with_steps(api)
    heavy: HeavyReads = api.app.state.heavy_reads
    held = [heavy.take(f"user-{n % 4}") for n in range(heavy.total)]
    refused = _export(api, case_id, "auditor")
    assert refused.status_code == 429
    assert refused.json()["detail"] == (
        f"at most {heavy.total} exports at a time on this server: retry shortly")
    held.pop().release()
    assert _export(api, case_id, "auditor").status_code == 200
    assert heavy.running() == heavy.total - 1


def test_a_refused_export_gives_its_slot_back(api: Api) -> None:
    case_id = _case_with_steps(api)
    heavy: HeavyReads = api.app.state.heavy_reads
    for _ in range(heavy.per_user + 1):  # without a purpose: 422, each time with a free slot
        assert api.get(f"/cases/{case_id}/history/export", who="auditor").status_code == 422
    assert heavy.running() == 0


def test_a_long_history_is_streamed_page_by_page_in_order(api: Api) -> None:
    case_id = _case_with_steps(api)
    for n in range(5):
        api.post(f"/cases/{case_id}/notes", who="teacher", json={"text": f"note {n}"})
    cases = api.caretrail.cases
    whole = cases.history(UUID(case_id))
    streamed = cases.stream_history(UUID(case_id), page_size=2)
    assert not isinstance(streamed, list)  # read as it is consumed
    assert [e.originator_version for e in streamed] == [e.originator_version for e in whole]
    assert len(whole) > 4


def test_a_third_export_of_one_person_while_two_are_running_is_429(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = _case_with_steps(api)
    entered, release = threading.Semaphore(0), threading.Event()
    read = api.caretrail.cases.stream_history

    def held_read(*args: Any, **kwargs: Any) -> Any:  # an export that waits to be released
        entered.release()
        assert release.wait(20), "never released"
        return read(*args, **kwargs)

    monkeypatch.setattr(api.caretrail.cases, "stream_history", held_read)
    url = f"/cases/{case_id}/history/export"
    headers = {"Authorization": f"Bearer {api.tokens['auditor']}", "X-Purpose": "inspection"}
    running = [api.portal.start_task_soon(partial(api.client.request, "GET", url, headers=headers))
               for _ in range(2)]
    try:
        for _ in running:
            assert entered.acquire(timeout=20), "the exports never started reading"
        third = _export(api, case_id, "auditor")
        assert third.status_code == 429
        assert third.headers["retry-after"] == "5"
    finally:
        release.set()
    assert [r.result(20).status_code for r in running] == [200, 200]
    assert api.app.state.heavy_reads.running() == 0
    assert _export(api, case_id, "auditor").status_code == 200
