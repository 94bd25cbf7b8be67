"""Head teachers and mentors come from the case's own school, and so do the tasks they see."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.driven.auth.models import UserRole
from tests.e2e.api.conftest import SCHOOL_A, SCHOOL_B, Api, identify_body


def _visited(api: Api, n: int = 1, school: str = SCHOOL_A) -> str:
    """A case waiting for a mentor (home visit done)."""
    who = "teacher" if school == SCHOOL_A else "teacher_b"
    case_id: str = api.identify(who=who, n=n, school=school)["case_id"]
    visit = api.post(f"/cases/{case_id}/home-visits", who=who, json={"guardian_met": True})
    assert visit.status_code == 200, visit.text
    return case_id


def _refused_as_ineligible(response: Any, teacher: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "/api/v1/problems/assignee-not-eligible"
    assert teacher in problem["detail"]


@pytest.mark.parametrize("teacher", ["b-teacher", "nobody-xyz", "a-supervisor"])
def test_a_case_opens_only_with_a_head_teacher_of_its_school(api: Api, teacher: str) -> None:
    body = identify_body(SCHOOL_A, 1, head_teacher_id=teacher)
    _refused_as_ineligible(api.post("/cases", who="teacher", json=body), teacher)
    assert api.caretrail.cases.position() == 0  # nothing recorded


@pytest.mark.parametrize("teacher", ["b-teacher", "nobody-xyz"])
def test_a_mentor_or_head_teacher_of_another_school_is_refused(api: Api, teacher: str) -> None:
    case_id = _visited(api)
    version = api.get(f"/cases/{case_id}", who="teacher").json()["version"]
    for path in ("mentor", "head-teacher"):
        response = api.post(f"/cases/{case_id}/{path}", who="supervisor", json={"teacher_id": teacher})
        _refused_as_ineligible(response, teacher)
    assert api.get(f"/cases/{case_id}", who="teacher").json()["version"] == version


def test_a_disabled_teacher_is_not_paired(api: Api) -> None:
    case_id = _visited(api)
    api.accounts.disable_user("a-mentor")
    response = api.post(f"/cases/{case_id}/mentor", who="supervisor", json={"teacher_id": "a-mentor"})
    _refused_as_ineligible(response, "a-mentor")


def test_a_teacher_sees_no_task_of_a_case_of_another_school_that_names_them(api: Api) -> None:
    # A case of school A that names b-teacher as head teacher (as a store written before
    # the rule may hold): its tasks stay out of b-teacher's list.
    api.caretrail.cases.assignees = None
    api.post("/cases", who="teacher", json=identify_body(SCHOOL_A, 1, head_teacher_id="b-teacher"))
    own = api.identify(who="teacher_b", n=2, school=SCHOOL_B)["case_id"]
    api.catch_up()
    tasks = api.get("/me/tasks", who="teacher_b", params={"within_days": 30}).json()["items"]
    assert tasks
    assert {t["case_id"] for t in tasks} == {own}


def test_a_teacher_of_two_schools_has_the_capacity_at_each(api: Api) -> None:
    api.accounts.add_user("ab-teacher", UserRole.TEACHER, [SCHOOL_A, SCHOOL_B])
    capacity = api.caretrail.settings.mentor_capacity
    for n in range(capacity):
        case_id = _visited(api, n=n + 1, school=SCHOOL_A)
        paired = api.post(f"/cases/{case_id}/mentor", who="supervisor", json={"teacher_id": "ab-teacher"})
        assert paired.status_code == 200, paired.text
    full = api.post(f"/cases/{_visited(api, n=99)}/mentor", who="supervisor",
                    json={"teacher_id": "ab-teacher"})
    assert full.status_code == 409
    assert full.json()["type"] == "/api/v1/problems/mentor-at-capacity"
    at_b = _visited(api, n=1, school=SCHOOL_B)
    paired_b = api.post(f"/cases/{at_b}/mentor", who="supervisor_b", json={"teacher_id": "ab-teacher"})
    assert paired_b.status_code == 200, paired_b.text
