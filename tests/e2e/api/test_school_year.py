"""The school year over HTTP: hand-over, roll-over, closing many cases; bad input is a
problem and nothing is written."""

from __future__ import annotations

from tests.e2e.api.conftest import SCHOOL_B, Api

PROBLEM = "application/problem+json"


def _cases(api: Api, classes: list[str]) -> list[str]:
    ids = [api.identify("supervisor", n=n, child={"name": f"孩子{n}", "class_name": c})["case_id"]
           for n, c in enumerate(classes, 1)]
    api.catch_up()
    return ids


def test_a_hand_over_is_planned_then_done_and_a_second_run_finds_nothing(api: Api) -> None:
    ids = _cases(api, ["三年级2班", "三年级2班"])
    url = "/teachers/a-teacher/hand-over"
    plan = api.post(url, who="supervisor", json={"to_head_teacher": "a-teacher-2", "dry_run": True})
    assert plan.status_code == 200, plan.text
    assert sorted(h["case_id"] for h in plan.json()["holdings"]) == sorted(ids)
    assert plan.json()["moved"] == []
    done = api.post(url, who="supervisor", json={"to_head_teacher": "a-teacher-2"}).json()
    assert sorted(h["case_id"] for h in done["moved"]) == sorted(ids)
    heads = {api.get(f"/cases/{c}", who="supervisor").json()["head_teacher_id"] for c in ids}
    assert heads == {"a-teacher-2"}
    api.catch_up()
    again = api.post(url, who="supervisor", json={"to_head_teacher": "a-teacher-2"}).json()
    assert again["holdings"] == []


def test_a_successor_who_is_no_teacher_of_the_school_is_refused_and_nothing_moves(api: Api) -> None:
    _cases(api, ["三年级2班"])
    position = api.caretrail.cases.position()
    response = api.post("/teachers/a-teacher/hand-over", who="supervisor",
                        json={"to_head_teacher": "ghost-teacher"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/api/v1/problems/assignee-not-eligible"
    assert api.caretrail.cases.position() == position


def test_the_roll_over_moves_classes_up_closes_graduates_and_is_idempotent(api: Api) -> None:
    ids = _cases(api, ["三年级2班", "六年级1班"])
    body = {"school_year": 2027, "mapping": {"三年级2班": "四年级2班"}, "graduating": ["六年级1班"]}
    plan = api.post("/schools/school-a/rollover", who="supervisor", json={**body, "dry_run": True}).json()
    assert ([m["to_class"] for m in plan["moves"]], len(plan["graduates"])) == (["四年级2班"], 1)
    done = api.post("/schools/school-a/rollover", who="supervisor", json=body).json()
    assert (done["moved"], done["graduated"]) == (1, 1)
    moved = api.get(f"/cases/{ids[0]}", who="supervisor").json()
    assert moved["child"]["class_name"] == "四年级2班"
    assert "start_of_year_recheck" in {t["kind"] for t in moved["open_follow_ups"]}
    api.catch_up()
    position = api.caretrail.cases.position()
    again = api.post("/schools/school-a/rollover", who="supervisor", json=body).json()
    assert (again["moved"], again["already"]) == (0, 1)
    assert api.caretrail.cases.position() == position


def test_an_unknown_class_or_another_school_is_refused_and_nothing_is_written(api: Api) -> None:
    _cases(api, ["三年级2班"])
    position = api.caretrail.cases.position()
    unknown = api.post("/schools/school-a/rollover", who="supervisor", json={
        "school_year": 2027, "mapping": {"三年级2班": "四年级2班", "三年级9班": "四年级9班"}})
    assert unknown.status_code == 422
    assert "no child in class 三年级9班" in unknown.json()["detail"]
    other = api.post(f"/schools/{SCHOOL_B}/rollover", who="supervisor", json={
        "school_year": 2027, "mapping": {}})
    assert other.status_code == 403
    assert api.caretrail.cases.position() == position


def test_many_cases_close_with_one_reason_and_an_unknown_reason_is_refused(api: Api) -> None:
    ids = _cases(api, ["三年级2班", "三年级2班"])
    other = api.identify("supervisor_b", n=9, school=SCHOOL_B)["case_id"]
    position = api.caretrail.cases.position()
    bad = api.post("/cases/closures", who="supervisor", json={"case_ids": ids, "reason": "moved_away"})
    assert (bad.status_code, bad.headers["content-type"]) == (422, PROBLEM)
    assert api.caretrail.cases.position() == position
    done = api.post("/cases/closures", who="supervisor",
                    json={"case_ids": [*ids, other], "reason": "parents_returned"}).json()
    assert (sorted(done["closed"]), done["skipped"]) == (sorted(ids), [])
    assert [(r["case_id"], r["code"]) for r in done["refused"]] == [(other, "case-not-found")]
    by_a_teacher = api.post("/cases/closures", who="teacher", json={"case_ids": ids, "reason": "other"})
    assert by_a_teacher.status_code == 403
