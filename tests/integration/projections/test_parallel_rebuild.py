"""A rebuild shared between processes: the same tables as one process builds, or a clear failure."""

from __future__ import annotations

import sqlite3

import pytest

import adapters.driving.rebuild
from adapters.bootstrap import Caretrail
from adapters.driving.rebuild import RebuildFailed, rebuild_plan, rebuild_views
from projections.rebuild_plan import LOG_READ_COST, share
from projections.views import all_views
from tests.fakes import FakeClock
from tests.integration.projections import scenario
from tests.integration.projections.conftest import positions
from tests.integration.projections.oracle import all_tables, fold, read_log, views_as_rows


def tables(caretrail: Caretrail) -> dict[str, object]:
    return all_tables(caretrail.runner.stores, {p.name: p.tables for p in caretrail.runner.projections})


def test_views_are_shared_so_that_the_slowest_process_ends_soonest() -> None:
    views = all_views()
    cost = {v.name: v.rebuild_cost for v in views}
    assert share(views, 1) == [["audit_log", "follow_ups", "cases"]]
    two = share(views, 2)
    assert sorted(map(sorted, two)) == [["audit_log"], ["cases", "follow_ups"]]
    # Each process reads the log once: the other way of splitting in two ends later.
    worst = max(LOG_READ_COST + sum(cost[n] for n in group) for group in two)
    assert worst < LOG_READ_COST + cost["audit_log"] + cost["cases"]
    assert sorted(map(sorted, share(views, 8))) == [["audit_log"], ["cases"], ["follow_ups"]]


def test_a_rebuild_in_two_processes_reproduces_every_table_row_by_row(
    history: Caretrail,
) -> None:
    history.runner.catch_up()
    before = tables(history)
    head = history.runner.head()
    assert rebuild_plan(history, jobs=2) == [["follow_ups", "cases"], ["audit_log"]]
    seen: list[int] = []
    assert rebuild_views(history, jobs=2, progress=seen.append, batch_size=50) == head
    assert sum(seen) == head  # the slowest process's progress, reported once each step
    assert tables(history) == before
    assert set(positions(history).values()) == {head}
    assert views_as_rows(history.runner.stores) == fold(read_log(history.cases))


def test_one_view_or_one_job_is_rebuilt_in_this_process(
    history: Caretrail, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_processes(*_: object) -> int:
        raise AssertionError("started processes")

    monkeypatch.setattr(adapters.driving.rebuild, "_in_processes", no_processes)
    history.runner.catch_up()
    before = tables(history)
    assert rebuild_views(history, ["follow_ups", "cases"], jobs=1) == history.runner.head()
    assert rebuild_views(history, ["audit_log"], jobs=4) == history.runner.head()
    assert tables(history) == before


def test_an_unknown_view_is_refused_before_anything_is_dropped(
    history: Caretrail,
) -> None:
    history.runner.catch_up()
    before = tables(history)
    with pytest.raises(LookupError, match="tasks"):
        rebuild_views(history, ["cases", "tasks"], jobs=2)
    assert tables(history) == before


def test_a_failing_process_names_its_views_and_a_second_rebuild_finishes_them(
    caretrail: Caretrail, clock: FakeClock
) -> None:
    scenario.run(caretrail.cases, clock, scenario.rich_history(cases=2))
    caretrail.runner.catch_up()
    before = tables(caretrail)
    head = caretrail.runner.head()
    events = caretrail.settings.sqlite_dir / "events.sqlite"
    with sqlite3.connect(events) as conn:  # an event nobody can decode, at the end of the log
        conn.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            "VALUES ('00000000-0000-0000-0000-000000000001', 1, 'domain.case:Case.NoteAdded', "
            "x'7b6e6f74206a736f6e')"
        )
    conn.close()
    with pytest.raises(RebuildFailed) as failed:
        rebuild_views(caretrail, jobs=2, batch_size=10_000)
    message = str(failed.value)
    assert "rebuilding audit_log failed: MapperDeserialisationError: cannot read" in message
    assert "rebuilding follow_ups, cases failed" in message
    assert len(message.splitlines()) == 1
    assert "not json" not in message
    assert set(positions(caretrail).values()) == {0}  # the one batch rolled back whole
    with sqlite3.connect(events) as conn:
        conn.execute("DELETE FROM stored_events WHERE originator_version = 1 AND "
                     "originator_id = '00000000-0000-0000-0000-000000000001'")
    conn.close()
    assert rebuild_views(caretrail, jobs=2) == head
    assert tables(caretrail) == before
