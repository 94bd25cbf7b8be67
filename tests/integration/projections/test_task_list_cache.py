"""The task-list cache answers only what the query would answer: writes from any
connection or process, the passing of time and a clock set back all reach the query."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.driven.views.sqlite import SQLiteViewStore
from projections.follow_up_view import TASK_COLUMNS, FollowUpsView
from projections.queries import ReadModels
from projections.store import iso
from projections.task_cache import TaskListCache

NOW = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
TEACHER, OTHER = "t-1", "t-2"


def _tables(store: SQLiteViewStore) -> None:
    view = FollowUpsView()
    with store.transaction() as cur:
        for ddl in [*view.schema(), *view.indexes()]:
            cur.execute(store.adapt_ddl(ddl))


def add_task(store: SQLiteViewStore, key: str, due: datetime, *, assignee: str = TEACHER,
             status: str = "open") -> None:
    """One follow-up row, as the view would write it."""
    row = {
        "follow_up_id": key, "case_id": f"case-{key}", "school_id": "s1", "class_name": "1-1",
        "kind": "home_visit", "rule_id": "home_visit", "assignee_role": "head_teacher",
        "assignee_id": assignee, "due_at": iso(due), "status": status, "escalation_level": 0,
        "scheduled_at": iso(NOW - timedelta(days=30)), "closed_at": None, "completed_by": None,
    }
    with store.transaction() as cur:
        cur.execute(
            f"INSERT INTO follow_ups ({', '.join(TASK_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in TASK_COLUMNS)})",
            [row[c] for c in TASK_COLUMNS],
        )


def close_task(store: SQLiteViewStore, key: str) -> None:
    with store.transaction() as cur:
        cur.execute("UPDATE follow_ups SET status = 'done' WHERE follow_up_id = ?", (key,))


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SQLiteViewStore, SQLiteViewStore]]:
    """The API's store of the view and a second one on the same file (as another process's
    projection runner would be: its own connection)."""
    path = tmp_path / "follow_ups.sqlite"
    mine, other = SQLiteViewStore(path), SQLiteViewStore(path)
    _tables(mine)
    yield mine, other
    mine.close()
    other.close()


def cached(store: SQLiteViewStore, **options: Any) -> ReadModels:
    return ReadModels({"follow_ups": store}, task_list_cache=TaskListCache(**options))


def test_the_change_token_moves_with_a_commit_of_any_connection(stores: Any) -> None:
    mine, other = stores
    first = mine.change_token()
    assert mine.change_token() == first
    add_task(other, "a", NOW)  # another connection (another process's runner)
    second = mine.change_token()
    assert second != first
    add_task(mine, "b", NOW)  # this store's own connection: data_version alone would not move
    assert mine.change_token() != second


def test_a_repeated_query_is_answered_from_memory_until_the_view_changes(stores: Any) -> None:
    mine, other = stores
    add_task(mine, "a", NOW + timedelta(days=1))
    read = cached(mine)
    first = read.my_tasks(user_id=TEACHER, now=NOW)
    assert [t.follow_up_id for t in first.items] == ["a"]
    assert read.my_tasks(user_id=TEACHER, now=NOW + timedelta(minutes=5)) is first
    assert read.my_tasks(user_id=OTHER, now=NOW).items == []  # per caller
    assert read.my_tasks(user_id=TEACHER, now=NOW, limit=10) is not first  # per query

    add_task(other, "b", NOW + timedelta(days=2))  # written by another connection
    second = read.my_tasks(user_id=TEACHER, now=NOW)
    assert [t.follow_up_id for t in second.items] == ["a", "b"]
    close_task(mine, "a")  # written by this store itself
    assert [t.follow_up_id for t in read.my_tasks(user_id=TEACHER, now=NOW).items] == ["b"]


def test_days_overdue_turn_over_at_the_exact_moment(stores: Any) -> None:
    mine, _ = stores
    due = NOW - timedelta(days=2, hours=3)  # 2 days overdue at NOW, 3 from due + 3 days
    add_task(mine, "a", due)
    read = cached(mine)
    first = read.my_tasks(user_id=TEACHER, now=NOW)
    assert first.items[0].days_overdue == 2
    just_before = due + timedelta(days=3) - timedelta(microseconds=1)
    assert read.my_tasks(user_id=TEACHER, now=just_before) is first
    turned = read.my_tasks(user_id=TEACHER, now=due + timedelta(days=3))
    assert turned.items[0].days_overdue == 3


def test_a_task_joins_when_the_horizon_reaches_it(stores: Any) -> None:
    mine, _ = stores
    add_task(mine, "a", NOW + timedelta(days=5))  # its days overdue turn at NOW + 6 days
    later = NOW + timedelta(days=9)  # 7 days ahead from NOW + 2 days
    add_task(mine, "b", later)
    read = cached(mine)
    first = read.my_tasks(user_id=TEACHER, now=NOW, within_days=7)
    assert [t.follow_up_id for t in first.items] == ["a"]
    before = later - timedelta(days=7, microseconds=1)
    assert read.my_tasks(user_id=TEACHER, now=before, within_days=7) is first
    joined = read.my_tasks(user_id=TEACHER, now=later - timedelta(days=7), within_days=7)
    assert [t.follow_up_id for t in joined.items] == ["a", "b"]


def test_a_clock_set_back_is_not_answered_from_memory(stores: Any) -> None:
    mine, _ = stores
    add_task(mine, "a", NOW - timedelta(hours=1))
    read = cached(mine)
    first = read.my_tasks(user_id=TEACHER, now=NOW)
    earlier = read.my_tasks(user_id=TEACHER, now=NOW - timedelta(hours=2))
    assert earlier is not first
    assert earlier.items[0].days_overdue == 0


def test_the_cache_is_bounded(stores: Any) -> None:
    mine, _ = stores
    read = cached(mine, max_entries=2)
    first = read.my_tasks(user_id="u1", now=NOW)
    assert read.my_tasks(user_id="u1", now=NOW) is first
    read.my_tasks(user_id="u2", now=NOW)
    read.my_tasks(user_id="u3", now=NOW)  # full: emptied, then kept
    assert read.my_tasks(user_id="u1", now=NOW) is not first


def test_the_cache_is_bounded_by_the_rows_it_holds(stores: Any) -> None:
    mine, _ = stores
    for n in range(3):
        add_task(mine, f"a{n}", NOW + timedelta(days=1))
    read = cached(mine, max_rows=5)
    first = read.my_tasks(user_id=TEACHER, now=NOW)  # 3 rows
    assert read.my_tasks(user_id=TEACHER, now=NOW) is first  # the same answer again: 3 rows
    read.my_tasks(user_id=TEACHER, now=NOW, limit=2)  # 2 more: 5
    assert read.my_tasks(user_id=TEACHER, now=NOW) is first
    read.my_tasks(user_id=TEACHER, now=NOW, limit=1)  # 6 > 5: emptied, then kept
    assert read.my_tasks(user_id=TEACHER, now=NOW) is not first


def test_stores_that_cannot_tell_a_change_are_never_cached(stores: Any) -> None:
    mine, _ = stores

    class Untold(SQLiteViewStore):
        def change_token(self) -> None:
            return None

    untold = Untold(mine.path)
    try:
        read = cached(untold)
        first = read.my_tasks(user_id=TEACHER, now=NOW)
        assert read.my_tasks(user_id=TEACHER, now=NOW) is not first
    finally:
        untold.close()


QUERIES = [
    {"user_id": user, "within_days": days, "limit": limit}
    for user in (TEACHER, OTHER) for days in (0, 3, 7) for limit in (1, 3)
]
# Steps of the property: write through either connection, move the clock, or ask.
_steps = st.lists(st.one_of(
    st.tuples(st.just("add"), st.sampled_from([TEACHER, OTHER]),
              st.integers(-20 * 24 * 60, 20 * 24 * 60), st.booleans()),
    st.tuples(st.just("close"), st.integers(0, 40), st.booleans()),
    st.tuples(st.just("wait"), st.integers(0, 3 * 24 * 60)),
    st.tuples(st.just("ask")),
), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_steps)
def test_cached_answers_equal_the_query_after_any_writes_and_waits(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[Any, ...]]
) -> None:
    path = tmp_path_factory.mktemp("cache") / "follow_ups.sqlite"
    mine, other = SQLiteViewStore(path), SQLiteViewStore(path)
    try:
        _tables(mine)
        read, fresh = cached(mine), ReadModels({"follow_ups": mine})
        now, added = NOW, 0
        for step in steps:
            match step:
                case ("add", assignee, minutes, via_other):
                    add_task(other if via_other else mine, f"t{added:03}",
                             NOW + timedelta(minutes=minutes), assignee=assignee)
                    added += 1
                case ("close", index, via_other):
                    close_task(other if via_other else mine, f"t{index:03}")
                case ("wait", minutes):
                    now += timedelta(minutes=minutes)
                case ("ask",):  # every query, so that each is asked again after any step
                    for query in QUERIES:
                        answer = read.my_tasks(now=now, **query)
                        assert answer.model_dump() == fresh.my_tasks(now=now, **query).model_dump()
                        if answer.next_cursor:  # the next page too
                            nxt = read.my_tasks(now=now, after=answer.next_cursor, **query)
                            assert nxt.model_dump() == fresh.my_tasks(
                                now=now, after=answer.next_cursor, **query).model_dump()
    finally:
        mine.close()
        other.close()
