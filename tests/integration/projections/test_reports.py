"""The report's figures against a term counted by hand (tests/report_scenario.py), and the
indexes its queries read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.bootstrap import Caretrail
from adapters.driving.reporting import BadPeriod, named_children, period
from projections.queries import ReadModels
from projections.reports import Report
from tests import report_scenario
from tests.fakes import FakeClock
from tests.integration.projections.test_query_plans import PlanningStore


@pytest.fixture
def term(backend: Caretrail, clock: FakeClock) -> Report:
    report_scenario.build(backend.cases, clock)
    backend.runner.catch_up()
    return backend.read.report(school_ids=["s1", "s2"], since=datetime(2026, 8, 31, 16, tzinfo=UTC),
                               until=datetime(2027, 2, 28, 16, tzinfo=UTC), now=clock())


def test_the_summary_counts_each_schools_children_and_activity_in_the_period(term: Report) -> None:
    s1, s2 = term.summary
    assert s1.model_dump() == {
        "school_id": "s1", "children": 3, "opened": 3, "closed": 1, "home_visits": 2,
        "children_visited": 2, "children_paired": 1, "counselling_sessions": 1,
        "guardian_contacts": 1, "parent_contacts": 1, "mentor_talks": 0, "escalations": 1,
    }
    assert (s2.children, s2.opened, s2.home_visits, s2.escalations) == (1, 1, 0, 0)
    total = term.total()
    assert (total.school_id, total.children, total.home_visits) == ("", 4, 2)


def test_children_by_state_and_risk_are_as_they_stand_now(term: Report) -> None:
    assert [(c.school_id, c.key, c.children) for c in term.by_state] == [
        ("s1", "closed", 1), ("s1", "counselled", 1), ("s1", "visited", 1), ("s2", "identified", 1)]
    assert [(c.school_id, c.key, c.children) for c in term.by_risk] == [
        ("s1", "high", 1), ("s1", "normal", 2), ("s2", "normal", 1)]


def test_tasks_done_on_time_late_and_still_overdue_by_kind_and_class(term: Report) -> None:
    kinds = {(t.school_id, t.key): (t.on_time, t.late, t.overdue) for t in term.tasks_by_kind}
    # 小明's visit on time, 小红's late; 小刚's visit was cancelled when his case closed.
    assert kinds["s1", "home_visit"] == (1, 1, 0)
    assert kinds["s1", "mentor_pairing"] == (1, 0, 1)  # 小明 paired; 小红's overdue
    assert kinds["s1", "guardian_contact"] == (1, 0, 2)
    assert kinds["s2", "home_visit"] == (0, 0, 1)
    classes = {(t.school_id, t.key): (t.on_time, t.late, t.overdue) for t in term.tasks_by_class}
    assert classes == {("s1", "三年级2班"): (5, 0, 5), ("s1", "四年级1班"): (0, 1, 3),
                       ("s2", "一年级1班"): (0, 0, 3)}
    assert sum(t.overdue for t in term.tasks_by_kind if t.school_id == "s1") == 8


def test_a_period_counts_only_what_occurred_in_it(backend: Caretrail, clock: FakeClock) -> None:
    report_scenario.build(backend.cases, clock)
    backend.runner.catch_up()
    # 11 to 30 September (Shanghai days): contacts on the 12th and 13th, 小红's visit on the 20th.
    since, until = datetime(2026, 9, 10, 16, tzinfo=UTC), datetime(2026, 9, 30, 16, tzinfo=UTC)
    (s1,) = backend.read.report(school_ids=["s1"], since=since, until=until, now=clock()).summary
    assert (s1.home_visits, s1.children_paired, s1.counselling_sessions) == (1, 0, 0)
    assert (s1.guardian_contacts, s1.parent_contacts, s1.escalations) == (1, 1, 0)
    assert (s1.children, s1.opened, s1.closed) == (3, 0, 0)
    other = backend.read.report(school_ids=["elsewhere"], since=since, until=until, now=clock())
    assert other.summary[0].children == 0
    assert other.tasks_by_kind == []


def test_the_period_defaults_to_the_term_and_refuses_a_backward_one(
    caretrail: Caretrail, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 10, 10, tzinfo=UTC))
    term = period(caretrail, None, None)
    assert (term.first.isoformat(), term.last.isoformat()) == ("2026-09-01", "2027-02-28")
    assert term.until - term.since == timedelta(days=181)
    with pytest.raises(BadPeriod, match="before it starts"):
        period(caretrail, "2026-10-01", "2026-09-01")
    with pytest.raises(BadPeriod, match="not a date"):
        period(caretrail, "2026-13-01", None)


def test_the_named_list_reads_names_from_the_cases(caretrail: Caretrail, clock: FakeClock) -> None:
    ids = report_scenario.build(caretrail.cases, clock)
    caretrail.runner.catch_up()
    rows, logged = named_children(caretrail, ["s1"], period(caretrail, None, None))
    assert sorted(name for _, _, name, _, _ in rows) == sorted(report_scenario.NAMES[:3])
    assert sorted(c for c, _ in logged) == sorted(str(ids[k]) for k in ("ming", "hong", "gang"))


def test_the_report_reads_indexes_and_no_whole_table(caretrail: Caretrail, clock: FakeClock) -> None:
    report_scenario.build(caretrail.cases, clock)
    caretrail.runner.catch_up()
    stores = {name: PlanningStore(store) for name, store in caretrail.runner.stores.items()}
    ReadModels(stores).report(school_ids=["s1", "s2"], since=datetime(2026, 9, 1, tzinfo=UTC),
                              until=datetime(2027, 3, 1, tzinfo=UTC), now=clock())
    (cases,) = stores["cases"].plans
    assert "cases_school_opened" in cases or "cases_school_state" in cases, cases
    counts, children = stores["audit_log"].plans
    for plan in (counts, children):
        assert "COVERING INDEX audit_report" in plan, plan
    assert "TEMP B-TREE FOR GROUP BY" not in counts, counts  # read in the index's order
    done, overdue = stores["follow_ups"].plans
    assert "COVERING INDEX fu_report_done" in done, done
    assert "TEMP B-TREE" not in done, done
    for index in ("fu_open_school_due", "fu_done_school_closed", "fu_closed_school_due"):
        assert index in overdue, overdue
    assert all("SCAN follow_ups" not in p and "SCAN audit_log" not in p
               for p in [*stores["follow_ups"].plans, counts, children]), stores["follow_ups"].plans
