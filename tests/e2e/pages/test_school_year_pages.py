"""The school year's pages for a supervisor: a hand-over, the roll-over and closing many
cases, each showing its plan first; a refusal is a page in the visitor's language that
keeps what was typed, and writes nothing."""

from __future__ import annotations

from uuid import UUID

from tests.e2e.pages.conftest import Web


def _cases(web: Web, classes: list[str]) -> list[str]:
    return [web.open_case(n=n, child={"name": f"孩子{n}", "class_name": c})
            for n, c in enumerate(classes, 1)]


def test_a_teacher_may_not_open_the_school_year_pages(web: Web) -> None:
    web.log_in("teacher")
    for path in ("/school-year/handover", "/school-year/rollover", "/school-year/closing"):
        assert web.get(path, "teacher").status_code == 403


def test_a_hand_over_shows_the_plan_then_moves_every_case(web: Web) -> None:
    ids = _cases(web, ["三年级2班", "三年级2班"])
    web.log_in("supervisor")
    form = web.get("/school-year/handover", "supervisor")
    sent = {"teacher": "a-teacher", "to_head_teacher": "a-teacher-2", "csrf": web.csrf(form)}
    plan = web.post("/school-year/handover", "supervisor", data={**sent, "action": "plan"})
    assert plan.status_code == 200
    assert "孩子1" in plan.text
    assert "班主任" in plan.text
    heads = {web.caretrail.cases.get_case(UUID(c)).head_teacher_id for c in ids}
    assert heads == {"a-teacher"}  # the plan wrote nothing
    done = web.post("/school-year/handover", "supervisor", data={**sent, "action": "run"})
    assert "已交接：2" in done.text
    assert {web.caretrail.cases.get_case(UUID(c)).head_teacher_id for c in ids} == {"a-teacher-2"}


def test_a_successor_of_no_school_of_ours_is_refused_in_chinese_keeping_the_form(web: Web) -> None:
    _cases(web, ["三年级2班"])
    web.log_in("supervisor")
    form = web.get("/school-year/handover", "supervisor")
    position = web.caretrail.cases.position()
    refused = web.post("/school-year/handover", "supervisor", data={
        "teacher": "a-teacher", "to_head_teacher": "ghost-teacher", "action": "run",
        "csrf": web.csrf(form)})
    assert refused.status_code == 422
    assert "ghost-teacher 不是本校在职教师" in refused.text
    assert 'value="ghost-teacher"' in refused.text
    assert web.caretrail.cases.position() == position


def test_the_roll_over_plans_refuses_an_unknown_class_and_then_moves_the_classes(web: Web) -> None:
    ids = _cases(web, ["三年级2班", "六年级1班"])
    web.log_in("supervisor")
    form = web.get("/school-year/rollover", "supervisor")
    base = {"school": "school-a", "year": "2027", "csrf": web.csrf(form)}
    position = web.caretrail.cases.position()
    typo = web.post("/school-year/rollover", "supervisor", data={
        **base, "action": "plan",
        "mapping": "三年级2班 → 四年级2班\n三年级９班 → 四年级9班\n六年级1班 → 毕业"})
    assert typo.status_code == 422
    assert "学校没有儿童在 三年级９班" in typo.text
    assert "三年级９班 → 四年级9班" in typo.text  # what was typed stays
    mapping = "三年级2班 → 四年级2班\n六年级1班 → 毕业"
    plan = web.post("/school-year/rollover", "supervisor",
                    data={**base, "action": "plan", "mapping": mapping})
    assert "四年级2班" in plan.text
    assert "开始新学年" in plan.text
    assert web.caretrail.cases.position() == position
    done = web.post("/school-year/rollover", "supervisor",
                    data={**base, "action": "run", "mapping": mapping})
    assert "已升班：1，已毕业：1" in done.text
    assert web.caretrail.cases.get_case(UUID(ids[0])).child.class_name == "四年级2班"


def test_cases_chosen_on_the_list_close_with_one_reason(web: Web) -> None:
    ids = _cases(web, ["三年级2班", "三年级2班", "四年级1班"])
    web.log_in("supervisor")
    page = web.get("/school-year/closing", "supervisor")
    assert all(f"孩子{n}" in page.text for n in (1, 2, 3))
    done = web.post("/school-year/closing", "supervisor", data={
        "case_id": ids[:2], "reason": "left_school", "csrf": web.csrf(page)})
    assert done.status_code == 200
    assert "已结案：2" in done.text
    assert "孩子3" in done.text
    assert "孩子1" not in done.text  # closed: no longer listed
