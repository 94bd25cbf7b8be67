"""``GET /reports`` and ``/exports/...``: the figures of a known term, the files opened as
Excel and the csv module would, scoping, formula escaping, and the named list's access log."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest

from adapters.driving.exports import BOM
from tests import report_scenario
from tests.e2e.api.conftest import SCHOOL_A, SCHOOL_B, Api

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TERM = {"from": "2026-09-01", "to": "2027-02-28"}


@pytest.fixture
def term(api: Api) -> dict[str, Any]:
    ids = report_scenario.build(api.caretrail.cases, api.clock, schools=(SCHOOL_A, SCHOOL_B),
                                heads=("a-teacher", "b-teacher"), mentor="a-mentor")
    api.catch_up()
    return ids


def _sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    return {sheet.title: [tuple(r) for r in sheet.iter_rows(values_only=True)] for sheet in book}


def test_the_report_as_json_counts_the_term(api: Api, term: dict[str, Any]) -> None:
    body = api.get("/reports", who="supervisor_ab", params=TERM).json()
    a, b = body["summary"]
    assert (a["school_id"], a["children"], a["home_visits"], a["children_paired"]) == (SCHOOL_A, 3, 2, 1)
    assert (a["counselling_sessions"], a["guardian_contacts"], a["parent_contacts"]) == (1, 1, 1)
    assert (a["escalations"], b["children"]) == (1, 1)


def test_the_workbook_has_one_sheet_per_table_with_chinese_headers_and_the_figures(
    api: Api, term: dict[str, Any]
) -> None:
    response = api.get("/reports", who="supervisor_ab", params={**TERM, "format": "xlsx"})
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    sheets = _sheets(response.content)
    assert list(sheets) == [
        "报告说明", "情况摘要", "按状态", "按风险等级", "任务（按类型）", "任务（按班级）"]
    summary = sheets["情况摘要"]
    assert summary[0][:5] == ("学校", "关爱儿童数", "新建档案数", "结案数", "家访次数")
    assert summary[1][:5] == (SCHOOL_A, 3, 3, 1, 2)
    assert summary[3][0] == "全部学校" and summary[3][1] == 4  # noqa: PT018 - one line of the sheet
    kinds = {(r[0], r[1]): r[2:] for r in sheets["任务（按类型）"][1:]}
    assert kinds[SCHOOL_A, "家访"] == (1, 1, 0)
    classes = {(r[0], r[1]): r[2:] for r in sheets["任务（按班级）"][1:]}
    assert classes[SCHOOL_A, "三年级2班"] == (5, 0, 5)
    states = {(r[0], r[1]): r[2] for r in sheets["按状态"][1:]}
    assert states[SCHOOL_B, "已建档"] == 1
    # No child's name anywhere in the workbook.
    cells = {str(c) for rows in sheets.values() for row in rows for c in row}
    assert not cells & set(report_scenario.NAMES)


def test_english_headers_when_asked(api: Api, term: dict[str, Any]) -> None:
    response = api.get("/reports", who="supervisor", params={**TERM, "format": "xlsx", "lang": "en"})
    sheets = _sheets(response.content)
    assert "Summary" in sheets
    assert sheets["Summary"][0][:2] == ("School", "Children followed")


def test_the_csv_opens_after_its_bom_with_a_titled_section_per_table(api: Api, term: dict[str, Any]) -> None:
    response = api.get("/reports", who="supervisor", params={**TERM, "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    at = rows.index(["情况摘要"])
    assert rows[at + 1][:2] == ["学校", "关爱儿童数"]
    assert rows[at + 2][:5] == [SCHOOL_A, "3", "3", "1", "2"]


def test_a_supervisor_of_one_school_cannot_get_anothers_report(api: Api, term: dict[str, Any]) -> None:
    refused = api.get("/reports", who="supervisor", params={"school_id": SCHOOL_B})
    assert refused.status_code == 403
    assert refused.json()["type"] == "/api/v1/problems/school-out-of-scope"
    mine = api.get("/reports", who="supervisor", params=TERM).json()
    assert [s["school_id"] for s in mine["summary"]] == [SCHOOL_A]
    assert api.get("/reports", who="teacher").status_code == 403
    assert api.get("/reports", who="admin").json()["summary"] == []  # the admin of no school


def test_a_backward_or_bad_period_is_422(api: Api) -> None:
    backward = api.get("/reports", who="supervisor", params={"from": "2026-10-01", "to": "2026-09-01"})
    assert backward.status_code == 422
    assert api.get("/reports", who="supervisor", params={"from": "yesterday"}).status_code == 422


def test_a_named_list_needs_the_right_and_a_purpose_and_logs_every_child(
    api: Api, term: dict[str, Any]
) -> None:
    params = {**TERM, "format": "xlsx", "named": "true"}
    assert api.get("/reports", who="supervisor", params=params).status_code == 422  # no purpose
    assert api.get("/reports", who="admin", params={**params, "purpose": "x"}).status_code == 403
    assert api.accounts.store.access_log(school_ids=[SCHOOL_A]) == []
    response = api.get("/reports", who="auditor", params={**params, "purpose": "县教育局年度报告"})
    assert response.status_code == 200
    named = _sheets(response.content)["儿童名单"]
    assert named[0] == ("学校", "班级", "姓名", "状态", "风险等级")
    assert sorted(r[2] for r in named[1:]) == sorted(report_scenario.NAMES[:3])
    log = api.accounts.store.access_log(school_ids=[SCHOOL_A])
    assert sorted(e.case_id for e in log) == sorted(str(term[k]) for k in ("ming", "hong", "gang"))
    assert {(e.user_id, e.resource, e.purpose) for e in log} == {
        ("a-auditor", "report-named", "县教育局年度报告")}


def test_list_exports_keep_the_lists_filters(api: Api, term: dict[str, Any]) -> None:
    api.clock.set(report_scenario.NOW)
    response = api.get("/exports/follow-ups", who="supervisor",
                       params={"status": "overdue", "kind": "guardian_contact", "format": "xlsx"})
    (rows,) = _sheets(response.content).values()
    assert rows[0][:3] == ("学校", "班级", "任务")
    assert sorted(r[1] for r in rows[1:]) == ["三年级2班", "四年级1班"]
    assert {r[2] for r in rows[1:]} == {"监护人联系"}
    cases = api.get("/exports/cases", who="supervisor", params={"state": "closed", "format": "csv"})
    lines = list(csv.reader(io.StringIO(cases.content.decode("utf-8").removeprefix(BOM))))
    assert lines[0][:3] == ["学校", "班级", "状态"]
    assert [line[-1] for line in lines[1:]] == [str(term["gang"])]


def test_exported_cells_are_escaped_against_formulas(api: Api) -> None:
    api.identify("supervisor", n=1, child={"name": "王小明", "class_name": "=HYPERLINK(\"http://x\")"})
    api.catch_up()
    book = api.get("/exports/cases", who="supervisor", params={"format": "xlsx"}).content
    sheet = openpyxl.load_workbook(io.BytesIO(book)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.value == "'=HYPERLINK(\"http://x\")"
    assert cell.data_type == "s"
    text = api.get("/exports/cases", who="supervisor", params={"format": "csv"}).content.decode()
    assert "'=HYPERLINK" in text
    api.clock.advance(days=20)  # its home visit overdue: the report's tasks by class show the class
    report = api.get("/reports", who="supervisor", params={"format": "xlsx"}).content
    by_class = _sheets(report)["任务（按班级）"]
    assert by_class[1][1] == "'=HYPERLINK(\"http://x\")"
