"""The school year's forms in a real browser over the served demo school: the supervisor
plans a teacher's hand-over and the new school year, and closes cases chosen on a list."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from adapters.driving.demo import staff
from tests.e2e.web.harness import PageWatch, Served, screenshot
from tests.e2e.web.test_pages import log_in

pytestmark = pytest.mark.browser
SCHOOL = "school-001"


def test_the_supervisor_sees_the_plan_of_a_teachers_hand_over(
    page: Page, served: Served, page_watch: PageWatch
) -> None:
    log_in(page, served, "supervisor")
    page.get_by_role("link", name="学年").click()
    page.get_by_role("link", name="教师离职交接").click()
    leaving = served.users["teacher"]
    people = staff(SCHOOL)
    # On the roster each successor needs the role: a head teacher (also a mentor), a counsellor.
    successor = next(t for t in reversed(people["head_teachers"]) if t != leaving)
    counsellor = next(t for t in people["counsellors"] if t != leaving)
    page.get_by_label("离职教师（用户名）").fill(leaving)
    for label in ("新的班主任", "新的结对帮扶老师"):
        page.get_by_label(label).fill(successor)
    page.get_by_label("新的心理辅导老师").fill(counsellor)
    page.get_by_role("button", name="查看计划").click()
    expect(page.get_by_role("heading", name=f"{leaving} 负责的个案")).to_be_visible()
    expect(page.locator("ul.tasks li", has_text="班主任").first).to_be_visible()
    expect(page.get_by_role("button", name="确认交接")).to_be_visible()
    expect(page.get_by_label("离职教师（用户名）")).to_have_value(leaving)
    screenshot(page, "school-year-handover", full_page=True)
    assert page_watch.problems() == []


def _open_classes(served: Served) -> list[str]:
    """The classes of the school's open cases now (other tests of the session add cases)."""
    found: set[str] = set()
    after = None
    with httpx.Client(base_url=f"{served.base_url}/api/v1", headers={
            "Authorization": f"Bearer {served.tokens['supervisor']}"}) as client:
        while True:
            page = client.get("/cases", params={"limit": 100, **({"after": after} if after else {})}).json()
            found |= {c["class_name"] for c in page["items"] if c["closed_at"] is None and c["class_name"]}
            after = page.get("next_cursor")
            if not after:
                return sorted(found)


def test_the_supervisor_plans_the_new_school_year_and_a_typo_is_refused_in_chinese(
    page: Page, served: Served, page_watch: PageWatch
) -> None:
    log_in(page, served, "supervisor")
    page.goto("/school-year/rollover")
    classes = _open_classes(served)
    assert "6年级5班" in classes
    lines = [f"{c} → 毕业" if c.startswith("6年级") else f"{c} → {c}（新）" for c in classes]
    typo = [line for line in lines if not line.startswith("6年级5班")] + ["6年级９班 → 毕业"]
    page.get_by_label("学年开始的年份").fill("2027")
    mapping = page.locator("#mapping")
    mapping.fill("\n".join(typo))
    page.get_by_role("button", name="查看计划").click()
    expect(page.get_by_role("alert")).to_contain_text("请写明 6年级5班 升入哪个班")
    expect(mapping).to_have_value("\n".join(typo))
    mapping.fill("\n".join(lines))
    page.get_by_role("button", name="查看计划").click()
    expect(page.get_by_role("heading", name="2027 学年")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^1年级1班 1年级1班（新） \d+$"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^6年级1班 毕业 \d+$"))).to_be_visible()
    expect(page.get_by_role("button", name="开始新学年")).to_be_visible()
    screenshot(page, "school-year-rollover", full_page=True)
    assert page_watch.problems() == []


def test_the_supervisor_closes_the_cases_chosen_on_the_list(
    page: Page, served: Served, page_watch: PageWatch
) -> None:
    log_in(page, served, "supervisor")
    page.goto("/school-year/closing")
    boxes = page.locator("input[type=checkbox][name=case_id]")
    before = boxes.count()
    assert before > 2
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_label("原因").select_option("left_school")
    screenshot(page, "school-year-closing")
    page.get_by_role("button", name="为勾选的个案结案").click()
    expect(page.get_by_role("status")).to_contain_text("已结案：2")
    assert page.locator("input[type=checkbox][name=case_id]").count() == before - 2
    assert page_watch.problems() == []
