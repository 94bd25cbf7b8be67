"""Task lists, the overdue summary, my tasks, stats, the audit log, and read-your-writes."""

from __future__ import annotations

from tests.e2e.api.conftest import SCHOOL_B, Api


def test_overdue_tasks_list_by_school_with_days_overdue_and_filters(api: Api) -> None:
    for n in (1, 2):
        api.identify(n=n)
    api.identify("teacher_b", school=SCHOOL_B)
    api.catch_up()
    assert api.get("/follow-ups", who="supervisor", params={"status": "overdue"}).json()["items"] == []

    api.clock.advance(days=20)
    overdue = api.get("/follow-ups", who="supervisor", params={"status": "overdue"}).json()["items"]
    visits = [t for t in overdue if t["kind"] == "home_visit"]
    assert len(visits) == 2
    assert {t["school_id"] for t in overdue} == {"school-a"}
    assert all(t["days_overdue"] == 6 for t in visits)
    only = api.get("/follow-ups", who="supervisor", params={
        "status": "overdue", "kind": "home_visit", "assignee_id": "a-teacher", "min_days_overdue": 5,
    }).json()["items"]
    assert [t["follow_up_id"] for t in only] == [t["follow_up_id"] for t in visits]
    none = api.get("/follow-ups", who="supervisor", params={"status": "overdue", "min_days_overdue": 7})
    assert [t for t in none.json()["items"] if t["kind"] == "home_visit"] == []


def test_due_soon_and_done_tasks_are_listed_by_status(api: Api) -> None:
    case_id = api.identify()["case_id"]
    api.clock.advance(days=10)
    api.post(f"/cases/{case_id}/home-visits", who="teacher", json={"guardian_met": True})
    api.catch_up()
    done = api.get("/follow-ups", who="auditor", params={"status": "done"}).json()["items"]
    assert [t["kind"] for t in done] == ["home_visit"]
    soon = api.get("/follow-ups", who="supervisor",
                   params={"status": "due_soon", "due_within_days": 7}).json()["items"]
    assert "mentor_pairing" in [t["kind"] for t in soon]


def test_the_overdue_summary_counts_per_assignee_and_kind(api: Api) -> None:
    for n in (1, 2, 3):
        api.identify(n=n)
    api.catch_up()
    api.clock.advance(days=30)
    summary = api.get("/follow-ups/summary", who="supervisor").json()
    assert summary["school_ids"] == ["school-a"]
    visits = [c for c in summary["items"] if c["kind"] == "home_visit"]
    assert [(c["assignee_id"], c["count"], c["max_days_overdue"]) for c in visits] == [("a-teacher", 3, 16)]


def test_teachers_use_their_own_task_list_not_the_school_lists(api: Api) -> None:
    api.identify()
    api.catch_up()
    assert api.get("/follow-ups", who="teacher").status_code == 403
    assert api.get("/follow-ups/summary", who="teacher").status_code == 403
    mine = api.get("/me/tasks", who="teacher", params={"within_days": 14}).json()["items"]
    assert {t["assignee_id"] for t in mine} == {"a-teacher"}
    assert "home_visit" in {t["kind"] for t in mine}
    assert api.get("/me/tasks", who="teacher", params={"within_days": 1}).json()["items"] == []


def test_a_supervisors_tasks_include_the_schools_unassigned_supervisor_tasks(api: Api) -> None:
    case_id = api.identify()["case_id"]
    api.post(f"/cases/{case_id}/home-visits", who="teacher", json={"guardian_met": True})
    api.identify("teacher_b", school=SCHOOL_B)
    api.catch_up()
    mine = api.get("/me/tasks", who="supervisor").json()["items"]
    assert [(t["kind"], t["school_id"]) for t in mine] == [("mentor_pairing", "school-a")]
    assert api.get("/me/tasks", who="auditor").status_code == 403


def test_my_task_list_as_served_follows_the_clock_and_every_write(api: Api) -> None:
    assert api.caretrail.read.task_list_cache is not None  # served as `caretrail serve` serves it
    case_id = api.identify()["case_id"]
    api.catch_up()

    def visits() -> list[int]:
        items = api.get("/me/tasks", who="teacher", params={"within_days": 14}).json()["items"]
        return [t["days_overdue"] for t in items if t["kind"] == "home_visit"]

    assert visits() == visits() == [0]
    api.clock.advance(days=20)
    assert visits() == [6]
    api.clock.advance(days=1)
    assert visits() == [7]
    api.post(f"/cases/{case_id}/home-visits", who="teacher", json={"guardian_met": True})
    assert visits() == [7]  # the views have not seen the visit yet
    api.catch_up()
    assert visits() == []


def test_reads_wait_for_min_position_so_a_client_reads_its_own_write(api: Api) -> None:
    api.caretrail.runner.start()
    try:
        for n in range(1, 4):
            created = api.identify(n=n)
            listed = api.get("/cases", who="teacher", params={"min_position": created["position"]})
            assert created["case_id"] in [c["case_id"] for c in listed.json()["items"]]
    finally:
        api.caretrail.runner.stop()


def test_min_position_beyond_the_log_is_422_and_views_behind_is_503(api: Api) -> None:
    created = api.identify()
    beyond = api.get("/cases", who="teacher", params={"min_position": created["position"] + 1000})
    assert beyond.status_code == 422
    assert beyond.json()["type"] == "/api/v1/problems/position-unknown"
    # No runner follows the log in this test, so the views stay behind.
    behind = api.get("/cases", who="teacher", params={"min_position": created["position"]})
    assert behind.status_code == 503
    assert behind.headers["retry-after"] == "1"
    assert behind.json()["type"] == "/api/v1/problems/views-behind"


def test_stats_count_cases_and_tasks_of_one_school(api: Api) -> None:
    for n in (1, 2):
        api.identify(n=n)
    api.catch_up()
    stats = api.get("/stats", who="supervisor").json()
    assert stats["school_id"] == "school-a"
    assert stats["cases_by_state"] == {"identified": 2}
    assert api.get("/stats", who="auditor", params={"school_id": SCHOOL_B}).status_code == 403
    assert api.get("/stats", who="teacher").status_code == 403


def test_the_audit_log_shows_who_did_what_in_the_auditors_schools_only(api: Api) -> None:
    case_id = api.identify()["case_id"]
    api.post(f"/cases/{case_id}/notes", who="supervisor", json={"text": "秘密"})
    api.identify("teacher_b", school=SCHOOL_B)
    api.catch_up()
    events = api.get("/audit/events", who="auditor").json()["items"]
    assert {e["school_id"] for e in events} == {"school-a"}
    notes = api.get("/audit/events", who="auditor", params={"actor_id": "a-supervisor"}).json()["items"]
    assert [e["event_type"] for e in notes] == ["NoteAdded"]
    assert "秘密" not in str(notes)
    since = api.clock.advance(hours=1).isoformat()
    api.post(f"/cases/{case_id}/notes", who="teacher", json={"text": "later"})
    api.catch_up()
    later = api.get("/audit/events", who="auditor", params={"from": since}).json()["items"]
    assert [(e["actor_id"], e["event_type"]) for e in later] == [("a-teacher", "NoteAdded")]
    before = api.get("/audit/events", who="auditor", params={"to": since}).json()["items"]
    assert len(before) + len(later) == len(events) + 1
    assert api.get("/audit/events", who="supervisor").status_code == 403


def test_me_says_who_i_am_and_what_my_role_allows(api: Api) -> None:
    me = api.get("/me", who="auditor").json()
    assert (me["user_id"], me["role"], me["schools"]) == ("a-auditor", "auditor", ["school-a"])
    assert "case:act" not in me["permissions"]
    assert "access-log:read" in me["permissions"]
    assert api.get("/me", who="admin").json()["permissions"] == [
        "access-request:answer", "reports:read", "self:read",
    ]


def test_time_bounds_at_the_edges_of_the_calendar_answer_lists_not_errors(api: Api) -> None:
    # Year 1 east of Greenwich and year 9999 west of it have no UTC instant in Python.
    api.identify()
    api.catch_up()
    first, last = "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-05:00"
    everything = api.get("/audit/events", who="auditor").json()["items"]
    assert everything
    for params in ({"from": first}, {"to": last}, {"from": first, "to": last}):
        response = api.get("/audit/events", who="auditor", params=params)
        assert response.status_code == 200, response.text
        assert response.json()["items"] == everything
        log = api.get("/audit/access-log", who="auditor", params=params)
        assert log.status_code == 200, log.text
    assert api.get("/audit/events", who="auditor", params={"to": first}).json()["items"] == []
    stats = api.get("/stats", who="supervisor", params={"since": first})
    assert stats.status_code == 200, stats.text
    assert stats.json()["cases_by_state"] == {"identified": 1}
