"""Importing a children's register into a real SQLite store: one command path, idempotent,
the past backfilled; and, for any rows, each either imported or reported, never both."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.bootstrap import Caretrail, build_accounts, guard_assignments
from adapters.driven.auth.accounts import Accounts
from adapters.driven.auth.models import Teacher, TeacherRole
from adapters.driving.imports.run import ImportReport
from adapters.driving.imports.samples import children_rows, write_csv, write_xlsx
from adapters.driving.imports.service import Imports
from domain.values import Actor, Role
from tests.fakes import FakeClock

SUPERVISOR = Actor(user_id="s1-supervisor", role=Role.SUPERVISOR)
SCHOOLS = count(1)


@pytest.fixture
def imports(caretrail: Caretrail, clock: FakeClock) -> Iterator[Imports]:
    accounts = build_accounts(caretrail.settings, clock)
    guard_assignments(caretrail, accounts)
    yield Imports(caretrail, accounts)
    accounts.close()


def _school(accounts: Accounts) -> str:
    school = f"s{next(SCHOOLS)}"
    accounts.roster.add([Teacher(teacher_id=f"{school}-T01", school_id=school, name="李明",
                                 roles=(TeacherRole.HEAD_TEACHER,))])
    return school


def _rows(school: str, n: int, clock: FakeClock, **kw: Any) -> list[dict[str, Any]]:
    return children_rows(n, [f"{school}-T01"], today=clock().date() - timedelta(days=1), **kw)


def _run(imports: Imports, data: bytes, school: str, *, dry_run: bool = False,
         name: str = "register.xlsx") -> ImportReport:
    return imports.children(data, name, school, SUPERVISOR, dry_run=dry_run)


def test_a_register_imports_once_and_a_second_run_adds_nothing(imports: Imports, clock: FakeClock) -> None:
    school = _school(imports.accounts)
    data = write_xlsx(_rows(school, 12, clock))
    dry = _run(imports, data, school, dry_run=True)
    assert imports.caretrail.cases.position() == 0  # the dry run wrote nothing
    assert (len(dry.created), dry.skipped, dry.refused) == (12, [], [])
    done = _run(imports, data, school)
    assert done.created == dry.created
    position = imports.caretrail.cases.position()
    again = _run(imports, data, school)
    assert (again.created, len(again.skipped)) == ([], 12)
    assert imports.caretrail.cases.position() == position
    assert len(imports.caretrail.read.cases(school_ids=[school], limit=50).items) == 12


def test_the_dates_of_the_register_start_the_follow_ups_in_the_real_past(
    imports: Imports, clock: FakeClock,
) -> None:
    school = _school(imports.accounts)
    identified = clock().date() - timedelta(days=60)
    row = {**_rows(school, 1, clock)[0], "identified_on": identified, "visited_on": None}
    visited = {**_rows(school, 1, clock, start=2)[0], "identified_on": identified,
               "visited_on": identified + timedelta(days=3)}
    report = _run(imports, write_csv([row, visited], encoding="gb18030"), school, name="r.csv")
    assert len(report.created) == 2
    cases = imports.caretrail.cases
    first = cases.get_case(cases.case_id_for(school, row["student_no"]))
    assert first.opened_at.date() == identified
    (visit_task,) = [t for t in first.open_follow_ups if t.kind == "home_visit"]
    assert visit_task.due_at.date() == identified + timedelta(days=14)  # overdue now
    overdue = imports.caretrail.read.overdue_summary(school_ids=[school], now=clock())
    assert any(c.kind == "home_visit" for c in overdue)
    second = cases.get_case(cases.case_id_for(school, visited["student_no"]))
    assert second.state == "visited"
    assert not [t for t in second.open_follow_ups if t.kind == "home_visit"]


def test_a_child_already_followed_is_skipped_and_left_as_it_is(imports: Imports, clock: FakeClock) -> None:
    school = _school(imports.accounts)
    rows = _rows(school, 2, clock)
    _run(imports, write_xlsx(rows[:1]), school)
    cases = imports.caretrail.cases
    before = cases.get_case(cases.case_id_for(school, rows[0]["student_no"])).version
    report = _run(imports, write_xlsx(rows), school)
    assert (len(report.created), len(report.skipped)) == (1, 1)
    assert cases.get_case(cases.case_id_for(school, rows[0]["student_no"])).version == before


_DEFECTS = [{}, {}, {"student_no": ""}, {"birth_date": "2016-02-30"}, {"head_teacher": "nobody"},
            {"guardian": ""}, {"identified_on": "2031-01-01"}]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, 8), st.sampled_from(range(len(_DEFECTS)))), min_size=1, max_size=10))
def test_any_rows_are_each_imported_or_reported_never_both_and_a_second_run_changes_nothing(
    imports: Imports, clock: FakeClock, drawn: list[tuple[int, int]],
) -> None:
    school = _school(imports.accounts)
    base = {n: r for n, r in enumerate(_rows(school, 8, clock), 1)}
    rows = [{**base[n], **_DEFECTS[d]} for n, d in drawn]
    data = write_xlsx(rows)
    everyone = set(range(2, len(rows) + 2))
    dry = _run(imports, data, school, dry_run=True)
    report = _run(imports, data, school)
    refused = {p.row for p in report.refused}
    assert set(report.created) | set(report.skipped) | refused == everyone
    assert not (set(report.created) | set(report.skipped)) & refused
    assert not set(report.created) & set(report.skipped)
    assert (report.created, refused) == (dry.created, {p.row for p in dry.refused})
    cases = imports.caretrail.cases
    for n in report.created:
        assert cases.has_events(cases.case_id_for(school, rows[n - 2]["student_no"]))
    position = cases.position()
    again = _run(imports, data, school)
    assert again.created == []
    assert cases.position() == position
