"""An inspector (督导): find a case, see it as it stood on a date, export its history, and
read who looked at it."""

from __future__ import annotations

import csv
import io
from uuid import UUID
from zoneinfo import ZoneInfo

from adapters.driving.api.heavy_reads import HeavyReads
from domain.values import Actor
from tests.e2e.api.conftest import PEOPLE
from tests.e2e.pages.conftest import Web
from workflows.commands import AddNote, RecordHomeVisit


def _teacher() -> Actor:
    user_id, role, _ = PEOPLE["teacher"]
    return Actor(user_id=user_id, role=role.domain_role)


def test_a_case_is_found_by_its_student_number(web: Web) -> None:
    case_id = web.open_case(n=7)
    web.log_in("auditor")
    found = web.get("/cases?school=school-a&student_no=20260007", "auditor")
    assert (found.status_code, found.headers["location"]) == (303, f"/cases/{case_id}")
    missing = web.get("/cases?school=school-a&student_no=20269999", "auditor")
    assert missing.status_code == 404
    assert 'value="20269999"' in missing.text


def test_the_case_as_it_stood_on_a_date_leaves_out_what_came_later(web: Web) -> None:
    case_id = web.open_case()
    opened_on = web.clock.now.astimezone(ZoneInfo(web.caretrail.settings.timezone)).date()
    web.clock.advance(days=3)
    web.caretrail.cases.handle(RecordHomeVisit(case_id=UUID(case_id), guardian_met=True,
                                               observations="第三天的家访"), _teacher())
    web.log_in("auditor")
    before = web.get(f"/cases/{case_id}/as-of?on={opened_on.isoformat()}", "auditor")
    assert before.status_code == 200
    assert "已建档" in before.text
    assert "第三天的家访" not in before.text
    now = web.get(f"/cases/{case_id}/as-of", "auditor")
    assert "第三天的家访" in now.text
    too_early = web.get(f"/cases/{case_id}/as-of?on=2020-01-01", "auditor")
    assert too_early.status_code == 404


def test_an_export_asks_why_and_gives_a_file_excel_reads_safely(web: Web) -> None:
    case_id = web.open_case()
    web.caretrail.cases.handle(AddNote(case_id=UUID(case_id), text="=HYPERLINK(\"http://x\")"),
                               _teacher())
    user_id = web.log_in("auditor")
    form = web.get(f"/cases/{case_id}/export", "auditor")
    assert form.status_code == 200
    no_reason = web.post(f"/cases/{case_id}/export", "auditor", data={"csrf": web.csrf(form), "purpose": " "})
    assert no_reason.status_code == 422
    done = web.post(f"/cases/{case_id}/export", "auditor",
                    data={"csrf": web.csrf(form), "purpose": "县教育局年度督导"})
    assert done.status_code == 200
    assert done.headers["content-type"].startswith("text/csv")
    assert done.content.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(done.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith("=") for cell in cells)
    assert any("HYPERLINK" in cell for cell in cells)
    log = web.get(f"/access-log?case_id={case_id}", "auditor")
    assert "县教育局年度督导" in log.text
    assert user_id in log.text


def test_exports_beyond_the_bound_are_refused_in_words_and_keep_the_purpose(web: Web) -> None:
    case_id = web.open_case()
    user_id = web.log_in("auditor")
    heavy: HeavyReads = web.app.state.heavy_reads
    held = [heavy.take(user_id) for _ in range(heavy.per_user)]  # the API's exports, running
    form = web.get(f"/cases/{case_id}/export", "auditor")
    refused = web.post(f"/cases/{case_id}/export", "auditor",
                       data={"csrf": web.csrf(form), "purpose": "县教育局年度督导"})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "5"
    assert "同时导出的太多了：请过几秒钟再试。" in refused.text
    assert 'value="县教育局年度督导"' in refused.text
    assert "县教育局年度督导" not in web.get(f"/access-log?case_id={case_id}", "auditor").text
    held.pop().release()
    done = web.post(f"/cases/{case_id}/export", "auditor",
                    data={"csrf": web.csrf(form), "purpose": "县教育局年度督导"})
    assert done.status_code == 200
    assert done.content.startswith(b"\xef\xbb\xbf")
    assert done.headers["cache-control"] == "no-store"
    assert heavy.running(user_id) == 1  # the download gave its slot back


def test_a_teacher_may_not_export_or_read_the_access_log(web: Web) -> None:
    case_id = web.open_case()
    web.log_in("teacher")
    assert web.get(f"/cases/{case_id}/export", "teacher").status_code == 403
    assert web.get("/access-log", "teacher").status_code == 403


def test_an_inspector_of_another_school_finds_nothing(web: Web) -> None:
    case_id = web.open_case()
    web.log_in("supervisor_b")
    assert web.get(f"/cases/{case_id}/as-of", "supervisor_b").status_code in (403, 404)
    assert web.get("/cases?school=school-a&student_no=20260001", "supervisor_b").status_code != 303


def test_the_access_log_shows_the_newest_first_and_filters_by_person(web: Web) -> None:
    case_id = web.open_case()
    teacher = web.log_in("teacher")
    web.get(f"/cases/{case_id}", "teacher")
    auditor = web.log_in("auditor")
    web.get(f"/cases/{case_id}/as-of", "auditor")
    log = web.get("/access-log", "auditor").text
    assert log.index(f"{auditor} (") < log.index(f"{teacher} (")
    only = web.get(f"/access-log?user={teacher}", "auditor").text
    assert f"{auditor} (" not in only
    assert f"{teacher} (" in only
    typed = web.get("/access-log?case_id=not-a-case", "auditor")
    assert typed.status_code == 200
    assert 'value="not-a-case"' in typed.text
