"""A head teacher's day: the task list, a home visit recorded from it, the case page."""

from __future__ import annotations

import html
import re
from uuid import UUID

from tests.e2e.pages.conftest import Web

TASK_LINK = re.compile(r'<a class="task" href="([^"]+)"')


def _links(page_text: str) -> list[str]:
    return [html.unescape(link) for link in TASK_LINK.findall(page_text)]


def test_a_home_visit_is_recorded_from_the_task_list_and_leaves_it(web: Web) -> None:
    case_id = web.open_case()
    web.log_in("teacher")
    assert "王小明" not in web.get("/tasks", "teacher").text  # due in 14 days: not yet listed
    web.clock.advance(days=8)
    web.log_in("teacher")  # the session ended meanwhile
    tasks = web.get("/tasks", "teacher")
    assert "王小明" in tasks.text
    assert "三年级2班" in tasks.text
    assert "家访" in tasks.text  # the task's kind, in Chinese
    web.clock.advance(days=7)  # the home visit was due in 14 days
    web.log_in("teacher")
    tasks = web.get("/tasks", "teacher")
    assert "逾期 1 天" in tasks.text
    (link,) = _links(tasks.text)
    assert link.startswith(f"/cases/{case_id}/steps/record_home_visit")
    form = web.get(link, "teacher")
    assert form.status_code == 200
    assert "见到监护人了吗" in form.text
    fields = dict(re.findall(r'name="(command_id|expected_version|next|occurred_at)" value="([^"]*)"',
                             form.text))
    done = web.post(link.split("?")[0], "teacher", data={
        **fields, "csrf": web.csrf(form), "guardian_met": "true", "observations": "奶奶身体尚好"})
    assert (done.status_code, done.headers["location"]) == (303, "/tasks")
    assert "家访" not in web.get("/tasks", "teacher").text
    web.caretrail.runner.catch_up()
    case = web.get(f"/cases/{case_id}", "teacher")
    assert "已家访" in case.text  # the state
    assert "奶奶身体尚好" in case.text  # the timeline


def test_a_form_with_a_mistake_says_so_in_chinese_and_keeps_what_was_typed(web: Web) -> None:
    case_id = web.open_case()
    web.log_in("teacher")
    url = f"/cases/{case_id}/steps/record_home_visit"
    version = web.caretrail.cases.get_case(UUID(case_id)).version
    form = web.get(url, "teacher")
    refused = web.post(url, "teacher", data={
        "csrf": web.csrf(form), "occurred_at": "2026-13-45T99:00", "observations": "院子里很干净"})
    assert refused.status_code == 422
    assert "请修改标出的内容" in refused.text
    assert "院子里很干净" in refused.text
    assert "2026-13-45T99:00" in refused.text
    assert web.caretrail.cases.get_case(UUID(case_id)).version == version  # nothing recorded


def test_a_step_the_state_does_not_allow_is_explained_not_offered(web: Web) -> None:
    case_id = web.open_case()
    web.log_in("teacher")
    page = web.get(f"/cases/{case_id}", "teacher")
    assert f"/cases/{case_id}/steps/record_home_visit" in page.text
    assert f"/cases/{case_id}/steps/record_counselling" not in page.text
    refused = web.get(f"/cases/{case_id}/steps/record_counselling", "teacher")
    assert refused.status_code == 409
    assert "已建档" in refused.text  # the state it is in, in Chinese


def test_a_childs_name_is_shown_as_text_never_as_markup(web: Web) -> None:
    web.open_case(child={"name": "<script>alert(1)</script>", "class_name": "三年级2班",
                         "gender": "male"})
    web.clock.advance(days=8)
    web.log_in("teacher")
    page = web.get("/tasks", "teacher")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_case_of_another_school_is_not_found_and_the_read_is_not_logged(web: Web) -> None:
    other = web.open_case("teacher_b")
    web.log_in("teacher")
    page = web.get(f"/cases/{other}", "teacher")
    assert page.status_code == 404
    assert "王小明" not in page.text
    assert web.get(f"/cases/{other}/steps/record_home_visit", "teacher").status_code == 404
    assert web.get("/cases/not-a-case", "teacher").status_code == 404
    assert web.accounts.store.access_log(school_ids=("school-b",), case_id=other, limit=10) == []


def test_each_case_shown_is_written_to_the_access_log(web: Web) -> None:
    case_id = web.open_case()
    web.clock.advance(days=8)
    user_id = web.log_in("teacher")
    web.get("/tasks", "teacher")
    web.get(f"/cases/{case_id}", "teacher")
    school = web.caretrail.cases.school_of(UUID(case_id))
    entries = web.accounts.store.access_log(school_ids=(str(school),), case_id=case_id, limit=10)
    assert {(e.user_id, e.resource) for e in entries} == {(user_id, "web-tasks"), (user_id, "web-case")}


def test_a_step_posted_twice_is_recorded_once(web: Web) -> None:
    case_id = web.open_case()
    web.log_in("teacher")
    url = f"/cases/{case_id}/steps/add_note"
    version = web.caretrail.cases.get_case(UUID(case_id)).version
    form = web.get(url, "teacher")
    command_id = re.search(r'name="command_id" value="([^"]+)"', form.text)
    assert command_id
    data = {"csrf": web.csrf(form), "command_id": command_id.group(1), "text": "成长日记：今天很开心"}
    first, second = web.post(url, "teacher", data=data), web.post(url, "teacher", data=data)
    assert first.status_code == second.status_code == 303
    assert web.caretrail.cases.get_case(UUID(case_id)).version == version + 1


def test_a_step_on_a_case_changed_meanwhile_asks_to_look_again(web: Web) -> None:
    case_id = web.open_case()
    web.log_in("teacher")
    url = f"/cases/{case_id}/steps/add_note"
    version = web.caretrail.cases.get_case(UUID(case_id)).version
    form = web.get(url, "teacher")
    other = web.get(url, "teacher")
    web.post(url, "teacher", data={"csrf": web.csrf(other), "text": "先写的",
                                   "expected_version": str(version)})
    late = web.post(url, "teacher", data={"csrf": web.csrf(form), "text": "后写的",
                                           "expected_version": str(version)})
    assert (late.status_code, late.headers["location"]) == (303, f"/cases/{case_id}?changed=1")
    assert "此个案刚被他人修改" in web.get(late.headers["location"], "teacher").text


def test_no_page_with_a_childs_data_is_kept_in_a_cache(web: Web) -> None:
    case_id = web.open_case()
    web.log_in("teacher")
    for url in ("/tasks", f"/cases/{case_id}", f"/cases/{case_id}/steps/add_note"):
        assert web.get(url, "teacher").headers["cache-control"] == "no-store", url


def test_the_case_timeline_tells_each_step_once_and_none_of_the_task_bookkeeping(web: Web) -> None:
    from adapters.driving.web.pages import Visit
    from adapters.driving.web.timeline import BOOKKEEPING, timeline

    case_id = web.open_case()
    events = web.caretrail.cases.history(UUID(case_id))
    assert {type(e).__name__ for e in events} >= {"Identified", "FollowUpScheduled"}
    visit = Visit(request=None, caretrail=web.caretrail, accounts=web.accounts,  # type: ignore[arg-type]
                  user=None, locale="zh_CN")
    entries = timeline(visit, events)
    assert [e.title for e in entries] == ["建档"]
    assert len(entries) == sum(type(e).__name__ not in BOOKKEEPING for e in events)
