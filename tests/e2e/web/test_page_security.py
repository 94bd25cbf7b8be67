"""What a page never does, in a real browser over a served store: run a child's name as
markup, take a forged form, show another school's case, or put a child's name in a URL or
in the server's log."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.web.harness import SCHOOL, Served, caretrail_env, run_caretrail
from tests.e2e.web.test_pages import log_in

pytestmark = pytest.mark.browser
NAMES = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


def identify(served: Served, school: str, student_no: str, name: str, head_teacher: str) -> str:
    """A case opened from the shell beside the running server; its id."""
    out = run_caretrail(
        caretrail_env(served.data_dir), "case", "identify", "--school", school, "--student-no", student_no,
        "--name", name, "--guardian-name", "李奶奶", "--guardian-relation", "grandmother",
        "--head-teacher", head_teacher, "--class", "三年级2班", "--as", head_teacher, "--role", "teacher",
        "--json")
    return str(json.loads(out)["case_id"])


def _version(served: Served, case_id: str) -> Any:
    answer = httpx.get(f"{served.base_url}/api/v1/cases/{case_id}",
                       headers={"Authorization": f"Bearer {served.tokens['teacher']}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["version"]


def test_a_childs_name_that_looks_like_markup_is_shown_as_text(page: Page, served: Served) -> None:
    dialogs: list[Dialog] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    teacher = served.users["teacher"]
    cases = [identify(served, SCHOOL, f"2026990{n}", name, teacher) for n, name in enumerate(NAMES)]
    log_in(page, served, "teacher")
    for case_id, name in zip(cases, NAMES, strict=True):
        page.goto(f"/cases/{case_id}")
        expect(page.locator("h1")).to_contain_text(name)
        assert page.locator("main img").count() == 0
    assert dialogs == []


def test_a_forged_form_changes_nothing(page: Page, served: Served) -> None:
    case_id = identify(served, SCHOOL, "20269910", "刘小华", served.users["teacher"])
    before = _version(served, case_id)
    log_in(page, served, "teacher")
    page.goto(f"/cases/{case_id}/steps/add_note")
    page.get_by_label("备注").fill("不该记下的一条")
    page.locator("input[name=csrf]").last.evaluate("input => input.value = 'forged'")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("main")).to_contain_text("表单已过期")
    page.goto(f"/cases/{case_id}/steps/add_note")
    page.get_by_label("备注").fill("也不该记下")
    page.locator("input[name=csrf]").last.evaluate("input => input.remove()")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("main")).to_contain_text("表单已过期")
    assert _version(served, case_id) == before


def test_a_case_of_another_school_looks_exactly_like_no_case(page: Page, served: Served) -> None:
    run_caretrail(caretrail_env(served.data_dir), "users", "add", "--name", "school-002-t01",
                  "--role", "teacher", "--school", "school-002", "--if-missing")
    other = identify(served, "school-002", "20269920", "陈小雨", "school-002-t01")
    log_in(page, served, "teacher")
    answers = {}
    for case_id in (other, "00000000-0000-4000-8000-000000000000"):
        answer = page.goto(f"/cases/{case_id}")
        assert answer is not None
        answers[case_id] = (answer.status, page.locator("main").inner_text())
    assert answers[other] == answers["00000000-0000-4000-8000-000000000000"]
    assert answers[other][0] == 404
    assert "陈小雨" not in answers[other][1]


def test_no_childs_name_is_in_a_url_or_the_servers_log(page: Page, served: Served) -> None:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    log_in(page, served, "teacher")
    names = [n.strip() for n in page.locator("a.task .who").all_inner_texts()]
    page.locator("a.task").first.click()
    page.go_back()
    log_in(page, served, "supervisor")
    names += [n.strip() for n in page.locator("table.pairing a").all_inner_texts()]
    assert len(names) > 3, "the demo pages showed children"
    log = served.log_path.read_text(encoding="utf-8", errors="replace")
    assert "http_request" in log
    for name in names:
        assert name not in log, name
        assert not any(name in unquote(url) for url in urls), name
