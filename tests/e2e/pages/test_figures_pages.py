"""统计图表: a school's figures over the term, for a 德育主任 and for a county's inspector."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import UUID

from adapters.driven.auth.models import UserRole
from domain.values import Actor
from tests.e2e.api.conftest import PEOPLE, SCHOOL_A, SCHOOL_B
from tests.e2e.pages.conftest import PASSWORD, Web
from workflows.commands import RecordHomeVisit

ROW = re.compile(r"<tr><td>([^<]*)</td>((?:<td class=\"number\">[^<]*</td>)+)</tr>")


def _tables(html: str) -> list[list[tuple[str, ...]]]:
    """The rows of each figure's table, (label, cell, ...); no rows for a figure without."""
    return [[(label, *re.findall(r'<td class="number">([^<]*)</td>', cells))
             for label, cells in ROW.findall(section)]
            for section in html.split('<section class="card figure"')[1:]]


def _school_b_overdue_too(web: Web) -> None:
    for n in (1, 2):
        web.open_case("teacher_b", n=n, child={"name": "赵小红", "class_name": "一年级1班",
                                              "gender": "female"})


def test_a_teacher_may_not_see_the_figures(web: Web) -> None:
    web.log_in("teacher")
    page = web.get("/figures", "teacher")
    assert page.status_code == 403
    assert "无权" in page.text
    assert 'href="/figures"' not in web.get("/tasks", "teacher").text  # nor a link to them


def test_a_supervisor_sees_their_schools_weeks_so_far_of_this_term(web: Web) -> None:
    web.open_case()  # 1 September, 09:00 in Shanghai: the home visit is due on the 15th
    _school_b_overdue_too(web)
    web.clock.advance(days=20)  # Monday 21 September
    web.log_in("supervisor")
    page = web.get("/figures", "supervisor")
    assert page.status_code == 200
    assert 'selected>2026年秋季学期</option>' in page.text
    assert "2026-09-01 – 2027-02-28" in page.text
    weeks, kinds, months = _tables(page.text)
    # Week 3 ends at midnight on Sunday the 20th, week 4 is under way: school B's two
    # overdue visits are not counted.
    assert weeks == [("1", "2026-09-06", "0"), ("2", "2026-09-13", "0"),
                     ("3", "2026-09-20", "1"), ("4", "2026-09-21", "1")]
    assert kinds == []
    assert months == [("2026-09", "0")]
    assert SCHOOL_B not in page.text
    assert 'href="/figures"' in web.get("/board", "supervisor").text


def test_a_backfilled_home_visit_counts_when_it_took_place(web: Web) -> None:
    case_id = web.open_case()
    web.clock.advance(days=20)
    user_id, role, _ = PEOPLE["teacher"]
    web.caretrail.cases.handle(  # from a paper record: the visit was on the 14th, on time
        RecordHomeVisit(case_id=UUID(case_id), guardian_met=True,
                        occurred_at=datetime(2026, 9, 14, 2, tzinfo=UTC)),
        Actor(user_id=user_id, role=role.domain_role))
    web.caretrail.runner.catch_up()
    web.log_in("supervisor")
    weeks, kinds, months = _tables(web.get("/figures", "supervisor").text)
    assert [w[2] for w in weeks] == ["0", "0", "0", "0"]
    assert kinds == [("家访", "1", "1", "100%")]
    assert months == [("2026-09", "1")]


def test_another_schools_figures_are_refused_like_a_school_that_does_not_exist(web: Web) -> None:
    _school_b_overdue_too(web)
    web.clock.advance(days=20)
    web.log_in("supervisor")
    for school in (SCHOOL_B, "no-such-school"):
        page = web.get(f"/figures?school={school}", "supervisor")
        assert page.status_code == 404
        assert "您没有这所学校。" in page.text
        assert _tables(page.text) == []


def test_a_term_not_offered_is_refused_in_words_with_the_form(web: Web) -> None:
    web.log_in("supervisor")
    for term in ("2027-03-01", "2026-09-02", "<script>"):
        page = web.get(f"/figures?term={term}", "supervisor")
        assert page.status_code == 422
        assert "请选择列出的学期之一。" in page.text
        assert '<select id="term" name="term">' in page.text
        assert "<script>" not in page.text
    older = web.get("/figures?term=2025-03-01", "supervisor")  # long ago, but a term
    assert older.status_code == 200
    assert "selected>2025年春季学期" in older.text


def test_an_inspector_picks_a_school_of_their_county(web: Web) -> None:
    web.accounts.add_user("county-inspector", UserRole.AUDITOR, (SCHOOL_A, SCHOOL_B))
    web.open_case()
    _school_b_overdue_too(web)
    web.clock.advance(days=20)
    invitation = web.accounts.invite("county-inspector")
    form = web.get(f"/invite/{invitation.token}", "inspector")
    web.post(f"/invite/{invitation.token}", "inspector", data={
        "password": PASSWORD, "again": PASSWORD, "csrf": web.csrf(form)})
    first = web.get("/figures", "inspector")
    assert f'<option value="{SCHOOL_A}" selected>' in first.text
    assert [w[2] for w in _tables(first.text)[0]] == ["0", "0", "1", "1"]
    other = web.get(f"/figures?school={SCHOOL_B}", "inspector")
    assert f'<option value="{SCHOOL_B}" selected>' in other.text
    assert [w[2] for w in _tables(other.text)[0]] == ["0", "0", "2", "2"]


def test_the_figures_speak_english_when_asked(web: Web) -> None:
    web.log_in("supervisor")
    page = web.get("/figures", "supervisor", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "selected>Autumn term 2026</option>" in page.text
    assert ">Sep</text>" in page.text  # the month under its bar
    assert "Overdue tasks at the end of each week" in page.text
