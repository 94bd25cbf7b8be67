"""The pages in a real browser over a served demo school: each role's day, on a phone and
at a desk, with the screenshots the user guide shows (``docs/web.md``)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.web.harness import PageWatch, Served, invitation_path, screenshot

pytestmark = pytest.mark.browser
PASSWORD = "a-village-school-2026"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def log_in(page: Page, served: Served, role: str) -> None:
    """Invitation, password, and in: the demo person of ``role`` is logged in."""
    page.goto(invitation_path(served, role))
    page.get_by_label("新密码").fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_role("button", name="设置密码并登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def both_sizes(page: Page, name: str) -> None:
    """Screenshots of the page as it is, on a phone and at a desk; no sideways scrolling on
    the phone."""
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    screenshot(page, f"{name}-phone", full_page=True)
    page.set_viewport_size(DESK)
    screenshot(page, name, full_page=True)


@pytest.mark.viewport(PHONE["width"], PHONE["height"])
def test_a_head_teacher_backfills_a_home_visit_and_the_pairing_task_appears(
    page: Page, served: Served, page_watch: PageWatch
) -> None:
    log_in(page, served, "teacher")
    expect(page.get_by_role("heading", name="我的任务")).to_be_visible()
    both_sizes(page, "teacher-tasks")
    page.set_viewport_size(PHONE)
    before = page.locator("li.late a.task").count()
    visit = page.locator("li.late a.task", has_text="家访").first
    expect(visit).to_be_visible()
    found = re.search(r"/cases/([0-9a-f-]{36})/", visit.get_attribute("href") or "")
    assert found, "the task links to its case's form"
    visit.click()
    expect(page.get_by_role("heading", name="记录家访")).to_be_visible()
    when = (datetime.now(SHANGHAI) - timedelta(days=1)).replace(hour=15, minute=30)
    page.get_by_label("发生时间").fill(when.strftime("%Y-%m-%dT%H:%M"))  # from a paper record
    page.get_by_label("是", exact=True).check()
    page.get_by_label("家访情况").fill("奶奶身体尚好，作业按时完成。")
    both_sizes(page, "teacher-home-visit")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="我的任务")).to_be_visible()
    assert page.locator("li.late a.task").count() == before - 1
    page.goto(f"/cases/{found.group(1)}")
    expect(page.locator(".badge").first).to_have_text("已家访")
    expect(page.get_by_text("奶奶身体尚好，作业按时完成。")).to_be_visible()
    expect(page.get_by_text(when.strftime("%Y-%m-%d 15:30"))).to_be_visible()
    expect(page.locator("section", has_text="待办任务").get_by_text("结对")).to_be_visible()
    both_sizes(page, "case")
    assert page_watch.console_errors() == []


@pytest.mark.viewport(PHONE["width"], PHONE["height"])
def test_a_form_refused_on_the_phone_keeps_what_was_typed(page: Page, served: Served) -> None:
    log_in(page, served, "teacher")
    page.locator("a.task", has_text="家访").first.click()
    page.get_by_label("家访情况").fill("院子里很干净")  # but not whether the guardian was met
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("请修改标出的内容")
    expect(page.get_by_label("家访情况")).to_have_value("院子里很干净")
    screenshot(page, "form-refused-phone", full_page=True)


@pytest.mark.viewport(DESK["width"], DESK["height"])
def test_a_supervisor_pairs_a_mentor_until_they_are_full_and_is_told_why(
    page: Page, served: Served
) -> None:
    log_in(page, served, "supervisor")
    expect(page.get_by_role("heading", name="逾期看板")).to_be_visible()  # the start page
    both_sizes(page, "supervisor-board")
    rows = page.locator("table.pairing tbody tr")
    assert rows.count() >= 4, "the demo school has children waiting for a mentor"
    mentors = page.get_by_label("所选儿童的结对老师")
    mentor = mentors.locator("option").first.get_attribute("value")
    assert mentor
    for _ in range(4):
        rows.first.get_by_role("radio").check()  # the child at the top of the list
        mentors.select_option(mentor)
        page.get_by_role("button", name="结对", exact=True).click()
        if page.get_by_role("alert").count():
            break
        expect(page.get_by_role("heading", name="逾期看板")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(f"{mentor} 已结对 3 名儿童，已达上限")
    screenshot(page, "pairing-refused")


@pytest.mark.viewport(DESK["width"], DESK["height"])
def test_an_inspector_reads_a_case_as_it_stood_exports_it_and_finds_both_reads_logged(
    page: Page, served: Served
) -> None:
    log_in(page, served, "auditor")
    page.get_by_role("link", name="个案").click()
    page.locator("table a").first.click()
    expect(page.locator("h1")).to_be_visible()
    case_url = page.url
    page.get_by_role("link", name="查看历史状态").click()
    page.get_by_label("查看某日结束时的状态").fill("2026-03-01")
    page.get_by_role("button", name="显示").click()
    expect(page.get_by_role("status")).to_contain_text("2026-03-01")
    both_sizes(page, "inspector-as-of")
    page.goto(case_url + "/export")
    page.get_by_label("导出原因").fill("县教育局年度督导")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 CSV").click()
    assert download.value.path().read_bytes().startswith(b"\xef\xbb\xbf")
    page.goto(case_url)
    page.get_by_role("link", name="查阅日志").click()
    log = page.locator("table").last
    expect(log.get_by_text("县教育局年度督导")).to_be_visible()
    expect(log.get_by_text("web-as-of").first).to_be_visible()
    both_sizes(page, "access-log")


@pytest.mark.viewport(DESK["width"], DESK["height"])
def test_a_supervisor_reads_the_schools_figures_as_charts_and_tables(
    page: Page, served: Served, page_watch: PageWatch
) -> None:
    log_in(page, served, "supervisor")
    page.get_by_role("link", name="本学期的统计图表").click()
    expect(page.get_by_role("heading", name="统计图表", exact=True)).to_be_visible()
    figures = page.locator("section.figure")
    expect(figures).to_have_count(3)
    for n in range(3):
        figure = figures.nth(n)
        bars, rows = figure.locator("svg.chart rect.bar").count(), figure.locator("tbody tr").count()
        assert bars == rows > 0, (n, bars, rows)  # every bar has its line in the table
        expect(figure.locator("svg.chart")).to_have_attribute("aria-hidden", "true")
    expect(figures.nth(1).locator("tbody")).to_contain_text("家访")
    both_sizes(page, "figures")
    assert page_watch.console_errors() == []
