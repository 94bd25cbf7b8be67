"""The teacher roster: kept per school on every auth store driver, and what the case
application asks before naming a head teacher, a mentor or a counselling teacher."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from adapters.driven.auth.models import Teacher, TeacherRole, User, UserRole
from adapters.driven.auth.port import AuthStore
from adapters.driven.auth.roster import RosterAssignees
from adapters.driven.auth.sqlite import SQLiteAuthStore
from domain.values import AssigneeRole
from tests.e2e.api.conftest import SCHOOL_A, Api
from tests.e2e.api.test_assignment_scope import _refused_as_ineligible, _visited

T0 = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
HEAD, SUBJECT, COUNSEL, MENTOR = (TeacherRole.HEAD_TEACHER, TeacherRole.SUBJECT_TEACHER,
                                  TeacherRole.COUNSELLING_TEACHER, TeacherRole.MENTOR)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuthStore]:
    if request.param == "postgres":
        from adapters.driven.auth.postgres import PostgresAuthStore

        found: AuthStore = PostgresAuthStore(
            request.getfixturevalue("pg_url"), schema=request.getfixturevalue("pg_schema"))
    else:
        found = SQLiteAuthStore(tmp_path / "auth.sqlite")
    found.setup()
    yield found
    found.close()


def _t(teacher_id: str, school: str = "s1", *roles: TeacherRole, **kw: object) -> Teacher:
    return Teacher(teacher_id=teacher_id, school_id=school, roles=roles or (SUBJECT,), **kw)  # type: ignore[arg-type]


def test_the_roster_keeps_teachers_per_school_with_roles_and_dates(store: AuthStore) -> None:
    assert store.put_teachers([_t("t2", "s1", HEAD, MENTOR, name="王老师", joined_on=date(2020, 9, 1)),
                               _t("t1"), _t("t1", "s2", COUNSEL)]) == 3
    assert store.get_teacher("s1", "t2") == _t("t2", "s1", HEAD, MENTOR, name="王老师",
                                               joined_on=date(2020, 9, 1))
    assert [t.teacher_id for t in store.list_teachers("s1")] == ["t1", "t2"]
    assert [t.school_id for t in store.teacher_records("t1")] == ["s1", "s2"]
    assert store.get_teacher("s3", "t1") is None
    assert store.teacher_left("s1", "t1", date(2026, 7, 10))
    assert not store.teacher_left("s1", "t1", date(2026, 7, 11))  # already left
    assert not store.teacher_left("s1", "nobody", date(2026, 7, 11))
    assert [t.teacher_id for t in store.list_teachers("s1", active_only=True)] == ["t2"]
    assert store.get_teacher("s1", "t1") == _t("t1", left_on=date(2026, 7, 10))
    assert store.get_teacher("s2", "t1").active  # type: ignore[union-attr]


def test_putting_a_teacher_again_replaces_the_record_unless_told_to_keep_it(store: AuthStore) -> None:
    store.put_teachers([_t("t1", "s1", SUBJECT)])
    assert store.put_teachers([_t("t1", "s1", MENTOR)], replace=False) == 0
    assert store.get_teacher("s1", "t1").roles == (SUBJECT,)  # type: ignore[union-attr]
    store.put_teachers([_t("t1", "s1", HEAD, name="李老师")])
    assert store.get_teacher("s1", "t1") == _t("t1", "s1", HEAD, name="李老师")


def test_each_assignment_needs_its_role_an_active_record_and_the_case_school(store: AuthStore) -> None:
    store.put_teachers([_t("h", "s1", HEAD), _t("m", "s1", MENTOR), _t("c", "s1", COUNSEL),
                        _t("gone", "s1", HEAD, MENTOR, left_on=date(2026, 1, 1))])
    assignees = RosterAssignees(store)
    allowed = {(who, role) for who in ("h", "m", "c", "gone", "nobody") for role in AssigneeRole
               if assignees.may_take(who, "s1", role)}
    assert allowed == {("h", AssigneeRole.HEAD_TEACHER), ("m", AssigneeRole.MENTOR),
                       ("c", AssigneeRole.COUNSELLING_TEACHER)}
    assert not assignees.may_take("h", "s2", AssigneeRole.HEAD_TEACHER)


def test_a_teacher_login_puts_them_on_the_roster_and_a_disabled_login_takes_nothing(api: Api) -> None:
    record = api.accounts.roster.get(SCHOOL_A, "a-mentor")
    assert record is not None
    assert record.active
    assert MENTOR in record.roles
    assert api.accounts.roster.get(SCHOOL_A, "a-supervisor") is None  # only teachers


def test_a_teacher_without_the_mentor_role_is_not_paired(api: Api) -> None:
    api.accounts.roster.add([_t("a-mentor", SCHOOL_A, SUBJECT)])
    case_id = _visited(api)
    response = api.post(f"/cases/{case_id}/mentor", who="supervisor", json={"teacher_id": "a-mentor"})
    _refused_as_ineligible(response, "a-mentor")


def test_a_teacher_without_a_login_is_paired_and_one_who_left_is_not(api: Api) -> None:
    api.accounts.roster.add([_t("a-roster-only", SCHOOL_A, MENTOR, name="赵老师")])
    case_id = _visited(api)
    paired = api.post(f"/cases/{case_id}/mentor", who="supervisor",
                      json={"teacher_id": "a-roster-only"})
    assert paired.status_code == 200, paired.text
    assert api.accounts.roster.leave(SCHOOL_A, "a-teacher-2")
    other = _visited(api, n=2)
    response = api.post(f"/cases/{other}/head-teacher", who="supervisor",
                        json={"teacher_id": "a-teacher-2"})
    _refused_as_ineligible(response, "a-teacher-2")


def test_a_login_added_later_keeps_the_roster_record_it_links_to(api: Api) -> None:
    api.accounts.roster.add([_t("a-late", SCHOOL_A, COUNSEL, name="钱老师")])
    api.accounts.add_user("a-late", UserRole.TEACHER, [SCHOOL_A])
    assert api.accounts.roster.get(SCHOOL_A, "a-late") == _t("a-late", SCHOOL_A, COUNSEL, name="钱老师")


def test_a_store_set_up_again_puts_the_teacher_logins_made_before_the_roster_on_it(
    store: AuthStore,
) -> None:
    store.add_user(User(user_id="old-t", role=UserRole.TEACHER, schools=("s1", "s2"), created_at=T0))
    store.add_user(User(user_id="old-s", role=UserRole.SUPERVISOR, schools=("s1",), created_at=T0))
    store.put_teachers([_t("old-t", "s2", COUNSEL)])
    store.setup()  # at the next start (SQLite) or `caretrail migrate` (PostgreSQL)
    assert store.get_teacher("s1", "old-t") == _t("old-t", "s1", HEAD, SUBJECT, MENTOR)
    assert store.get_teacher("s2", "old-t") == _t("old-t", "s2", COUNSEL)  # kept as it was
    assert store.get_teacher("s1", "old-s") is None
