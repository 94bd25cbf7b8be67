"""工作报告 and the lists' downloads: the report page over a known term, its files, the named
list with its purpose, and refusals that keep what was typed."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest

from adapters.driving.exports import BOM
from tests import report_scenario
from tests.e2e.api.conftest import SCHOOL_A, SCHOOL_B
from tests.e2e.pages.conftest import Web

TERM = {"from": "2026-09-01", "to": "2027-02-28"}


@pytest.fixture
def term(web: Web) -> dict[str, Any]:
    ids = report_scenario.build(web.caretrail.cases, web.clock, schools=(SCHOOL_A, SCHOOL_B),
                                heads=("a-teacher", "b-teacher"), mentor="a-mentor")
    web.caretrail.runner.catch_up()
    return ids


def _captions(html: str) -> list[str]:
    return re.findall(r"<caption>([^<]*)</caption>", html)


def test_a_teacher_has_no_reports(web: Web) -> None:
    web.log_in("teacher")
    assert web.get("/reports", "teacher").status_code == 403
    assert 'href="/reports"' not in web.get("/tasks", "teacher").text


def test_the_county_report_page_shows_every_table_of_all_my_schools(web: Web, term: dict[str, Any]) -> None:
    web.log_in("supervisor_ab")
    page = web.get("/reports", "supervisor_ab", params=TERM)
    assert page.status_code == 200
    assert _captions(page.text) == ["报告说明", "情况摘要", "按状态", "按风险等级", "任务（按类型）",
                                    "任务（按班级）"]
    assert '<tr><td>全部学校</td><td class="number">4</td>' in page.text
    assert "@media print" in web.get("/static/caretrail.css").text
    for name in report_scenario.NAMES:
        assert name not in page.text
    link = re.search(r'href="(/reports/file\?[^"]*format=xlsx)"', page.text)
    assert link is not None
    book = web.get(link.group(1).replace("&amp;", "&"), "supervisor_ab")
    assert book.status_code == 200
    sheets = openpyxl.load_workbook(io.BytesIO(book.content), read_only=True).sheetnames
    assert sheets[1] == "情况摘要"


def test_a_bad_period_is_refused_in_words_keeping_the_dates_typed(web: Web) -> None:
    web.log_in("supervisor")
    page = web.get("/reports", "supervisor", params={"from": "2026-10-01", "to": "2026-09-3x"})
    assert page.status_code == 422
    assert "起始日期不得晚于结束日期" in page.text
    assert 'value="2026-09-3x"' in page.text
    other = web.get("/reports", "supervisor", params={"school": SCHOOL_B})
    assert other.status_code == 404
    assert web.get("/reports/file", "supervisor", params={"format": "pdf"}).status_code == 422


def test_the_named_list_needs_a_purpose_and_logs_each_child(web: Web, term: dict[str, Any]) -> None:
    web.log_in("supervisor")
    page = web.get("/reports", "supervisor", params=TERM)
    form = {"csrf": web.csrf(page), "school": "", **TERM, "format": "xlsx"}
    refused = web.post("/reports/named", "supervisor", data={**form, "purpose": " "})
    assert refused.status_code == 422
    assert "请说明需要儿童姓名的用途" in refused.text
    assert web.accounts.store.access_log(school_ids=[SCHOOL_A]) == []
    done = web.post("/reports/named", "supervisor", data={**form, "purpose": "学期末汇总"})
    assert done.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(done.content))["儿童名单"].iter_rows(values_only=True))
    assert sorted(r[2] for r in rows[1:]) == sorted(report_scenario.NAMES[:3])
    log = web.accounts.store.access_log(school_ids=[SCHOOL_A])
    assert {(e.resource, e.purpose) for e in log} == {("web-report-named", "学期末汇总")}
    assert len(log) == 3


def test_the_board_and_the_case_list_download_what_they_show(web: Web, term: dict[str, Any]) -> None:
    web.clock.set(report_scenario.NOW)
    web.log_in("supervisor")
    board = web.get("/board", "supervisor", params={"kind": "guardian_contact"})
    link = re.search(r'href="(/lists/overdue\?[^"]*format=xlsx[^"]*)"', board.text)
    assert link is not None
    file = web.get(link.group(1).replace("&amp;", "&"), "supervisor")
    rows = list(openpyxl.load_workbook(io.BytesIO(file.content)).active.iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == ["监护人联系", "监护人联系"]
    cases = web.get("/cases", "supervisor", params={"school": SCHOOL_A, "state": "closed"})
    link = re.search(r'href="(/lists/cases\?[^"]*format=csv[^"]*)"', cases.text)
    assert link is not None
    text = web.get(link.group(1).replace("&amp;", "&"), "supervisor").content.decode("utf-8")
    assert text.startswith(BOM)
    assert text.count("\n") == 2  # the header and the one closed case
    assert str(term["gang"]) in text


def test_an_english_reader_gets_the_report_and_its_workbook_in_english(
    web: Web, term: dict[str, Any]
) -> None:
    web.log_in("supervisor")
    web.client("supervisor").cookies.set("caretrail_lang", "en")
    page = web.get("/reports", "supervisor", params={**TERM, "school": SCHOOL_A})
    assert _captions(page.text)[:2] == ["About this report", "Summary"]
    assert f'<option value="{SCHOOL_A}" selected>' in page.text
    book = web.get("/reports/file", "supervisor", params={**TERM, "school": SCHOOL_A, "format": "xlsx"})
    summary = openpyxl.load_workbook(io.BytesIO(book.content))["Summary"]
    assert [c.value for c in summary[1]][:2] == ["School", "Children followed"]
    assert [c.value for c in summary[2]][:2] == [SCHOOL_A, 3]
