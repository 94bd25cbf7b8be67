"""工作报告 in a real browser over the served demo school: the term's report on screen, as
printed for the education bureau (print stylesheet), and its workbook downloaded."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.web.harness import PageWatch, Served, screenshot
from tests.e2e.web.test_pages import DESK, both_sizes, log_in

pytestmark = pytest.mark.browser


@pytest.mark.viewport(DESK["width"], DESK["height"])
def test_a_supervisor_prints_the_terms_report_and_downloads_its_workbook(
    page: Page, served: Served, page_watch: PageWatch
) -> None:
    log_in(page, served, "supervisor")
    page.get_by_role("link", name="工作报告").click()
    expect(page.get_by_role("heading", name="工作报告", exact=True)).to_be_visible()
    tables = page.locator(".report-table table")
    expect(tables).to_have_count(6)
    expect(tables.nth(1).locator("thead")).to_contain_text("关爱儿童数")
    expect(tables.nth(1).locator("tbody")).to_contain_text("school-001")
    both_sizes(page, "reports")

    page.emulate_media(media="print")
    expect(page.locator("header.bar")).to_be_hidden()
    expect(page.locator("form.picker")).to_be_hidden()
    expect(page.get_by_role("link", name="Excel 工作簿（.xlsx）")).to_be_hidden()
    expect(tables.nth(1)).to_be_visible()
    screenshot(page, "report-print", full_page=True)
    page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.get_by_role("link", name="Excel 工作簿（.xlsx）").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    assert book.sheetnames == [
        "报告说明", "情况摘要", "按状态", "按风险等级", "任务（按类型）", "任务（按班级）"]
    assert page_watch.console_errors() == []
