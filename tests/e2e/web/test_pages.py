"""The pages in a real browser over a served demo school: each role's day, on a phone and
at a desk, with the screenshots the user guide shows (``docs/web.md``)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.web.harness import PageWatch, Served, invitation_path, screenshot

pytestmark = pytest.mark.browser
PASSWORD = "a-village-school-2026"
PHONE = (360, 740)  # a small Android phone, as WeChat's browser shows a page


def log_in(page: Page, served: Served, role: str) -> None:
    """Set the demo person's password through a fresh invitation link; they are logged in."""
    page.goto(invitation_path(served, role))
    page.get_by_label("新密码").fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_role("button", name="设置密码并登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


@pytest.mark.viewport(*PHONE)
def test_a_head_teacher_records_a_home_visit_from_the_phone(
    page: Page, served: Served, page_watch: PageWatch
) -> None:
    log_in(page, served, "teacher")
    expect(page.get_by_role("heading", name="我的任务")).to_be_visible()
    screenshot(page, "teacher-tasks-phone", full_page=True)
    overdue = page.locator("li.late a.task")
    before = overdue.count()
    assert before > 0, "the demo school's teacher has overdue tasks"
    visits = page.locator("li.late a.task", has_text="家访")
    assert visits.count() > 0, "demo-people chose a teacher with an overdue home visit"
    child = visits.first.locator(".who").inner_text()
    visits.first.click()
    expect(page.get_by_role("heading", name="记录家访")).to_be_visible()
    screenshot(page, "teacher-home-visit-phone", full_page=True)
    page.get_by_label("是", exact=True).check()
    page.get_by_label("家访情况").fill("奶奶身体尚好，作业按时完成。")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="我的任务")).to_be_visible()
    assert page.locator("li.late a.task").count() == before - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0], "no sideways scrolling"
    assert child, "the task named its child"
    assert page_watch.console_errors() == []


@pytest.mark.viewport(*PHONE)
def test_a_form_refused_on_the_phone_keeps_what_was_typed(page: Page, served: Served) -> None:
    log_in(page, served, "teacher")
    page.locator("a.task", has_text="家访").first.click()
    page.get_by_label("家访情况").fill("院子里很干净")  # but not whether the guardian was met
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("请修改标出的内容")
    expect(page.get_by_label("家访情况")).to_have_value("院子里很干净")
    screenshot(page, "form-refused-phone", full_page=True)


@pytest.mark.viewport(1280, 800)
def test_a_supervisor_sees_the_board_and_pairs_a_mentor(page: Page, served: Served) -> None:
    log_in(page, served, "supervisor")
    page.get_by_role("link", name="逾期看板").click()
    expect(page.get_by_role("heading", name="逾期看板")).to_be_visible()
    screenshot(page, "supervisor-board", full_page=True)
    waiting = page.locator("form", has=page.get_by_role("button", name="结对"))
    if waiting.count() == 0:
        pytest.skip("no child of the demo school waits for a mentor today")
    before = waiting.count()
    waiting.first.get_by_role("button", name="结对").click()
    expect(page.get_by_role("heading", name="逾期看板")).to_be_visible()
    assert page.locator("form", has=page.get_by_role("button", name="结对")).count() == before - 1


@pytest.mark.viewport(1280, 800)
def test_an_inspector_sees_a_case_as_it_stood_and_exports_its_history(page: Page, served: Served) -> None:
    log_in(page, served, "auditor")
    page.get_by_role("link", name="个案").click()
    page.locator("table a").first.click()
    expect(page.locator("h1")).to_be_visible()
    screenshot(page, "inspector-case", full_page=True)
    case_url = page.url
    page.goto(case_url + "/as-of?on=2026-03-01")
    screenshot(page, "inspector-as-of", full_page=True)
    page.goto(case_url + "/export")
    page.get_by_label("导出原因").fill("县教育局年度督导")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 CSV").click()
    path = download.value.path()
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    page.goto("/access-log")
    expect(page.get_by_text("县教育局年度督导").first).to_be_visible()
