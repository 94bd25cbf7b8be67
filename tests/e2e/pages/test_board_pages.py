"""逾期看板: a 德育主任's overdue tasks and pairing a mentor, within the mentor's capacity."""

from __future__ import annotations

from uuid import UUID

from domain.values import Actor
from tests.e2e.api.conftest import PEOPLE, SCHOOL_A, SCHOOL_B
from tests.e2e.pages.conftest import Web
from workflows.commands import CloseCase, PairMentor, RecordHomeVisit


def _visited(web: Web, n: int) -> str:
    """A case of school A with its home visit recorded: it waits for a mentor."""
    case_id = web.open_case(n=n)
    user_id, role, _ = PEOPLE["teacher"]
    web.caretrail.cases.handle(RecordHomeVisit(case_id=UUID(case_id), guardian_met=True),
                               Actor(user_id=user_id, role=role.domain_role))
    web.caretrail.runner.catch_up()
    return case_id


def test_a_teacher_may_not_see_the_board(web: Web) -> None:
    web.log_in("teacher")
    page = web.get("/board", "teacher")
    assert page.status_code == 403
    assert "无权" in page.text


def test_the_board_shows_overdue_tasks_of_the_supervisors_schools_only(web: Web) -> None:
    web.open_case()
    web.open_case("teacher_b", child={"name": "赵小红", "class_name": "一年级1班", "gender": "female"})
    web.clock.advance(days=20)
    web.log_in("supervisor")
    page = web.get("/board", "supervisor")
    assert page.status_code == 200
    assert "王小明" in page.text
    assert "赵小红" not in page.text
    assert "逾期 6 天" in page.text
    filtered = web.get("/board?min_days=30", "supervisor")
    assert "王小明" not in filtered.text
    typed = web.get("/board?min_days=abc", "supervisor")
    assert typed.status_code == 200
    assert 'value="abc"' in typed.text


def test_a_mentor_is_paired_from_the_board_until_they_are_full(web: Web) -> None:
    capacity = web.caretrail.settings.mentor_capacity
    cases = [_visited(web, n) for n in range(1, capacity + 2)]
    web.log_in("supervisor")
    mentor = PEOPLE["teacher"][0]
    for case_id in cases[:capacity]:
        board = web.get("/board", "supervisor")
        assert f'<option value="{mentor}">' in board.text
        done = web.post(f"/cases/{case_id}/steps/pair_mentor", "supervisor", data={
            "csrf": web.csrf(board), "teacher_id": mentor, "next": "/board"})
        assert (done.status_code, done.headers["location"]) == (303, "/board")
    web.caretrail.runner.catch_up()
    board = web.get("/board", "supervisor")
    assert f"{capacity}/{capacity} 名，已满" in board.text  # still offered, marked full
    last = cases[capacity]
    refused = web.post(f"/cases/{last}/steps/pair_mentor", "supervisor", data={
        "csrf": web.csrf(board), "teacher_id": mentor, "next": "/board"})
    assert refused.status_code == 409
    assert f"{mentor} 已结对 {capacity} 名儿童，已达上限" in refused.text
    assert web.caretrail.cases.get_case(UUID(last)).state == "visited"


def test_the_board_pairs_the_child_chosen_with_the_mentor_chosen_in_one_form(web: Web) -> None:
    capacity = web.caretrail.settings.mentor_capacity
    cases = [_visited(web, n) for n in range(1, capacity + 2)]
    web.log_in("supervisor")
    board = web.get("/board", "supervisor")
    assert board.text.count('name="teacher_id"') == 1  # one mentor list, however many wait
    assert board.text.count('name="case_id"') == len(cases)
    mentor = PEOPLE["teacher"][0]
    for case_id in cases[:capacity]:
        done = web.post("/board/pairing", "supervisor", data={
            "csrf": web.csrf(board), "case_id": case_id, "teacher_id": mentor})
        assert (done.status_code, done.headers["location"]) == (303, "/board")
        assert web.caretrail.cases.get_case(UUID(case_id)).mentor_id == mentor
    refused = web.post("/board/pairing", "supervisor", data={
        "csrf": web.csrf(board), "case_id": cases[capacity], "teacher_id": mentor})
    assert refused.status_code == 409
    assert f"{mentor} 已结对 {capacity} 名儿童，已达上限" in refused.text
    assert web.caretrail.cases.get_case(UUID(cases[capacity])).state == "visited"


def test_a_pairing_sent_without_a_child_chosen_says_so_and_keeps_the_mentor(web: Web) -> None:
    case_id = _visited(web, 1)
    web.log_in("supervisor")
    board = web.get("/board", "supervisor")
    mentor = PEOPLE["teacher"][0]
    again = web.post("/board/pairing", "supervisor", data={"csrf": web.csrf(board),
                                                           "teacher_id": mentor})
    assert again.status_code == 422
    assert "请先选择一名待结对的儿童。" in again.text
    assert f'<option value="{mentor}" selected>' in again.text
    assert web.caretrail.cases.get_case(UUID(case_id)).state == "visited"
    expired = web.post("/board/pairing", "supervisor", data={"case_id": case_id, "teacher_id": mentor})
    assert expired.status_code == 400
    assert web.caretrail.cases.get_case(UUID(case_id)).state == "visited"


def test_the_board_counts_overdue_tasks_by_class_and_filters_by_one(web: Web) -> None:
    web.open_case(n=1)
    web.open_case(n=2, child={"name": "赵小红", "class_name": "一年级1班", "gender": "female"})
    web.clock.advance(days=20)
    web.log_in("supervisor")
    page = web.get("/board", "supervisor").text
    assert "按班级统计逾期" in page
    assert "三年级2班" in page
    assert "一年级1班" in page
    one = web.get("/board?class_name=一年级1班", "supervisor").text
    table = one[one.index("<h2>逾期任务</h2>"):]
    assert "赵小红" in table
    assert "王小明" not in table


def _mentors_of(board: str, school_id: str) -> str:
    start = board.index(f'<optgroup label="{school_id}">')
    return board[start:board.index("</optgroup>", start)]


def test_the_board_offers_the_teachers_of_each_school_under_its_name(web: Web) -> None:
    at_a = _visited(web, 1)
    at_b = web.open_case("teacher_b", n=2)
    user_id, role, _ = PEOPLE["teacher_b"]
    web.caretrail.cases.handle(RecordHomeVisit(case_id=UUID(at_b), guardian_met=True),
                               Actor(user_id=user_id, role=role.domain_role))
    web.caretrail.runner.catch_up()
    web.log_in("supervisor_ab")
    board = web.get("/board", "supervisor_ab").text
    assert f'value="{at_a}"' in board
    assert f'value="{at_b}"' in board
    mentors_a, mentors_b = _mentors_of(board, SCHOOL_A), _mentors_of(board, SCHOOL_B)
    assert '<option value="a-mentor">' in mentors_a
    assert '<option value="b-teacher">' not in mentors_a
    assert '<option value="b-teacher">' in mentors_b
    assert '<option value="a-mentor">' not in mentors_b
    # A child of school A with a teacher of school B: refused in words, nothing recorded.
    refused = web.post("/board/pairing", "supervisor_ab", data={
        "csrf": web.csrf(web.get("/board", "supervisor_ab")), "case_id": at_a,
        "teacher_id": "b-teacher"})
    assert refused.status_code == 409
    assert "b-teacher 不是本校在职教师，不能承担这个个案。" in refused.text
    assert web.caretrail.cases.get_case(UUID(at_a)).state == "visited"


def test_pairing_a_teacher_of_another_school_is_refused_in_words(web: Web) -> None:
    case_id = _visited(web, 1)
    web.log_in("supervisor_ab")
    form = web.get(f"/cases/{case_id}/steps/pair_mentor", "supervisor_ab")
    refused = web.post(f"/cases/{case_id}/steps/pair_mentor", "supervisor_ab", data={
        "csrf": web.csrf(form), "teacher_id": "b-teacher"})
    assert refused.status_code == 409
    assert "b-teacher 不是本校在职教师，不能承担这个个案。" in refused.text
    assert 'value="b-teacher"' in refused.text  # what was typed is kept
    assert web.caretrail.cases.get_case(UUID(case_id)).state == "visited"
    english = web.post(f"/cases/{case_id}/steps/pair_mentor", "supervisor_ab", data={
        "csrf": web.csrf(form), "teacher_id": "nobody-xyz"}, headers={"Accept-Language": "en"})
    assert "nobody-xyz is not a teacher of this school" in english.text


def test_a_mentor_released_at_closing_is_told_in_the_visitors_words(web: Web) -> None:
    case_id = _visited(web, 1)
    user_id, role, _ = PEOPLE["supervisor"]
    supervisor = Actor(user_id=user_id, role=role.domain_role)
    web.caretrail.cases.handle(PairMentor(case_id=UUID(case_id), teacher_id="a-mentor"), supervisor)
    web.caretrail.cases.handle(CloseCase(case_id=UUID(case_id), reason="graduated"), supervisor)
    web.caretrail.runner.catch_up()
    web.log_in("supervisor")
    page = web.get(f"/cases/{case_id}", "supervisor").text
    assert "a-mentor · 个案已结案" in page
    assert "case closed" not in page
