"""Each list query uses the index meant for it (EXPLAIN QUERY PLAN on SQLite)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from adapters.bootstrap import Caretrail
from projections.queries import ReadModels, TaskStatus
from projections.store import Cursor, ViewStore
from projections.task_cache import TaskListCache
from tests.fakes import FakeClock
from tests.integration.projections import scenario


class PlanningCursor:
    """Explains every statement before running it."""

    def __init__(self, cursor: Cursor, plans: list[str]) -> None:
        self._cursor = cursor
        self._plans = plans
        self.rowcount = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        self._plans.append(" | ".join(str(row[-1]) for row in self._cursor.fetchall()))
        return self._cursor.execute(sql, params)

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> Any:
        raise AssertionError("queries do not write")

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()


class PlanningStore(ViewStore):
    """A view store whose readers record the plan of each query."""

    def __init__(self, inner: ViewStore) -> None:
        self.inner = inner
        self.plans: list[str] = []

    def transaction(self) -> Any:
        return self.inner.transaction()

    @contextmanager
    def reader(self) -> Iterator[Cursor]:
        with self.inner.reader() as cur:
            yield PlanningCursor(cur, self.plans)

    def drop_tables(self, tables: Sequence[str]) -> None:
        raise AssertionError("queries do not drop")

    def change_token(self) -> Hashable | None:
        return self.inner.change_token()


@pytest.fixture
def planned(caretrail: Caretrail, clock: FakeClock) -> tuple[Any, ...]:
    """Read models over a small history whose stores record query plans."""
    scenario.run(caretrail.cases, clock, scenario.rich_history(cases=4))
    caretrail.runner.catch_up()
    stores = {name: PlanningStore(store) for name, store in caretrail.runner.stores.items()}
    case = str(scenario.case_id(caretrail.cases, 1))
    return ReadModels(stores), stores, clock() + timedelta(days=3), case


QUERIES: dict[str, tuple[str, Callable[[ReadModels, Any, str], Any], str]] = {
    "overdue at a school": ("follow_ups", lambda r, now, case: r.tasks(
        now=now, status=TaskStatus.OVERDUE, school_ids=["s1"]), "fu_open_school_due"),
    "overdue of a kind at a school": ("follow_ups", lambda r, now, case: r.tasks(
        now=now, status=TaskStatus.OVERDUE, school_ids=["s1"], kind="home_visit"),
        "fu_open_kind_due"),
    "my tasks": ("follow_ups", lambda r, now, case: r.my_tasks(user_id="t-head", now=now),
                 "fu_open_assignee_due"),
    "overdue of an assignee": ("follow_ups", lambda r, now, case: r.tasks(
        now=now, status=TaskStatus.OVERDUE, assignee_id="t-head"), "fu_open_assignee_due"),
    "one kind everywhere": ("follow_ups", lambda r, now, case: r.tasks(
        now=now, status=TaskStatus.OVERDUE, kind="mentor_talk"), "fu_open_kind_due"),
    "overdue everywhere": ("follow_ups", lambda r, now, case: r.tasks(
        now=now, status=TaskStatus.OVERDUE), "fu_status_due"),
    "done at a school": ("follow_ups", lambda r, now, case: r.tasks(
        now=now, status=TaskStatus.DONE, school_ids=["s1"]), "fu_closed_school_due"),
    "tasks of a case": ("follow_ups", lambda r, now, case: r.tasks(
        now=now, case_id=case), "fu_case"),
    "cases of a school": ("cases", lambda r, now, case: r.cases(school_ids=["s1"]),
                          "cases_school_opened"),
    "cases of a school in a state": ("cases", lambda r, now, case: r.cases(
        school_ids=["s1"], state="paired"), "cases_school_state"),
    "cases of a mentor": ("cases", lambda r, now, case: r.cases(mentor_id="t-m1"), "cases_mentor"),
    "cases of a head teacher": ("cases", lambda r, now, case: r.cases(head_teacher_id="t-head"),
                                "cases_head_teacher"),
    "audit of a case": ("audit_log", lambda r, now, case: r.audit_events(
        case_id=case), "audit_case"),
    "audit of an actor": ("audit_log", lambda r, now, case: r.audit_events(actor_id="t-head"),
                          "audit_actor"),
    "audit of a school": ("audit_log", lambda r, now, case: r.audit_events(school_ids=["s1"]),
                          "audit_school"),
}


@pytest.mark.parametrize("query", list(QUERIES))
def test_each_list_query_uses_its_index_and_needs_no_sort(planned: Any, query: str) -> None:
    read, stores, now, case = planned
    view, run, index = QUERIES[query]
    run(read, now, case)
    (plan,) = stores[view].plans
    assert f"USING {index}" in plan or f"USING INDEX {index}" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # rows come out of the index in page order


def test_overdue_counts_per_assignee_read_one_index_and_no_table_row(planned: Any) -> None:
    read, stores, now, _ = planned
    read.overdue_summary(school_ids=["s1"], now=now)
    (plan,) = stores["follow_ups"].plans
    assert "USING COVERING INDEX fu_open_school_due" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan  # grouping the few overdue rows is all


def test_school_stats_read_only_indexes(planned: Any) -> None:
    read, stores, now, _ = planned
    read.stats(school_id="s1", now=now)
    plans = stores["follow_ups"].plans
    assert all("SCAN follow_ups" not in p for p in plans), plans
    assert any("fu_done_school_closed" in p for p in plans), plans


def test_my_tasks_with_the_cache_look_ahead_through_the_same_index(planned: Any) -> None:
    _, stores, now, _ = planned
    read = ReadModels(stores, task_list_cache=TaskListCache())
    read.my_tasks(user_id="t-head", now=now)
    page, ahead = stores["follow_ups"].plans  # the page, then the next task beyond it
    for plan in (page, ahead):
        assert "USING INDEX fu_open_assignee_due" in plan or (
            "USING COVERING INDEX fu_open_assignee_due" in plan), plan
        assert "TEMP B-TREE" not in plan, plan
    read.my_tasks(user_id="t-head", now=now)
    assert len(stores["follow_ups"].plans) == 2  # answered from memory


def test_the_figures_read_indexes_only(planned: Any) -> None:
    read, stores, now, _ = planned
    weeks = [now - timedelta(weeks=k) for k in range(20, -1, -1)]
    read.overdue_at(school_id="s1", moments=weeks)
    read.on_time_by_kind(school_id="s1", since=weeks[0], until=now)
    plans = stores["follow_ups"].plans
    assert all("SCAN follow_ups" not in p for p in plans), plans
    for index in ("fu_open_school_due", "fu_done_school_closed", "fu_closed_school_due"):
        assert index in plans[0], plans[0]
    read.home_visits_between(school_id="s1", bounds=weeks)
    (plan,) = stores["audit_log"].plans
    assert "audit_home_visits" in plan, plan
