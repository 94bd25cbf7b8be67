"""``caretrail projections status`` and ``rebuild [NAME]`` through the real console script."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest

from adapters.bootstrap import build
from adapters.driving.cli.case import _report
from adapters.settings import Settings
from tests.fakes import FakeClock
from tests.integration.projections import scenario
from tests.integration.projections.oracle import all_tables
from workflows.services import CommandResult

CARETRAIL = str(Path(sys.executable).parent / "caretrail")


def caretrail(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the console script against ``data`` only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    env |= {"CARETRAIL_DATA_DIR": str(data), "CARETRAIL_LOG_FORMAT": "console"}
    return subprocess.run([CARETRAIL, *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def views(data: Path) -> tuple[int, dict[str, Any]]:
    """The log's head and every view table, read in this process."""
    caretrail = build(Settings(data_dir=data))
    try:
        tables = {p.name: p.tables for p in caretrail.runner.projections}
        return caretrail.runner.head(), all_tables(caretrail.runner.stores, tables)
    finally:
        caretrail.close()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A store with a few cases' history; views caught up up to half of it."""
    data = tmp_path / "data"
    clock = FakeClock()
    caretrail = build(Settings(data_dir=data), clock=clock)
    try:
        steps = scenario.rich_history(cases=3)
        scenario.run(caretrail.cases, clock, steps[: len(steps) // 2])
        caretrail.runner.catch_up()
        scenario.run(caretrail.cases, clock, steps[len(steps) // 2 :])
    finally:
        caretrail.close()
    return data


def test_status_shows_each_views_position_and_lag(data: Path) -> None:
    head, _ = views(data)
    done = caretrail(data, "projections", "status", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["name"] for r in rows] == ["cases", "follow_ups", "audit_log"]
    assert all(0 < r["position"] < head and r["lag"] == head - r["position"] for r in rows)
    assert all(r["updated_at"] for r in rows)
    text = caretrail(data, "projections", "status")
    assert text.returncode == 0
    assert all(f"lag {head - rows[0]['position']:>7}" in line for line in text.stdout.splitlines())


@pytest.mark.parametrize(("name", "message"), [
    ("tasks", "caretrail: no view named 'tasks': choose one of cases, follow_ups, audit_log"),
    ("", "caretrail: an empty view name (an unset variable?): give a view's name, or none to "
         "rebuild every view"),
], ids=["unknown", "empty"])
def test_rebuilding_an_unknown_view_fails_with_one_line_and_changes_nothing(
    data: Path, name: str, message: str
) -> None:
    before = views(data)
    done = caretrail(data, "projections", "rebuild", name)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [message]
    assert "Traceback" not in done.stdout + done.stderr
    assert views(data) == before


def test_rebuilding_one_view_then_all_replays_the_log_with_a_progress_bar(data: Path) -> None:
    head, _ = views(data)
    one = caretrail(data, "projections", "rebuild", "audit_log", "--json")
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout) == {"rebuilt": ["audit_log"], "events": head}
    every = caretrail(data, "projections", "rebuild", "--jobs", "2")  # two processes
    assert every.returncode == 0, every.stderr
    assert "rebuilding" in every.stderr  # the progress bar goes to stderr, output stays clean
    assert every.stdout.strip() == f"rebuilt cases, follow_ups, audit_log from {head} events"
    status = json.loads(caretrail(data, "projections", "status", "--json").stdout)
    assert {(r["position"], r["lag"]) for r in status} == {(head, 0)}
    _, rebuilt = views(data)
    assert len(rebuilt["audit_log"]) == head


def test_a_rebuild_whose_processes_fail_says_which_views_in_one_line_and_exits_1(data: Path) -> None:
    with sqlite3.connect(data / "events.sqlite") as conn:  # an event nobody can decode
        conn.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            "VALUES ('00000000-0000-0000-0000-000000000001', 1, 'domain.case:Case.NoteAdded', "
            "x'7b226e616d65223a22e78e8be5b08fe6988e227d')"  # {"name":"王小明"}
        )
    conn.close()
    done = caretrail(data, "projections", "rebuild", "--jobs", "2")
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()[-1:]
    assert line.startswith("caretrail: rebuilding ")
    assert "audit_log" in line
    assert "follow_ups, cases" in line
    assert line.endswith("Those views are behind; run the rebuild again.")
    assert "Traceback" not in done.stderr
    assert "王小明" not in done.stderr + done.stdout


def test_a_view_file_held_by_another_process_is_one_busy_line_and_exit_75(data: Path) -> None:
    """A rebuild holds a view's file for seconds: a command that cannot wait that long says so."""
    holder = sqlite3.connect(data / "views" / "follow_ups.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
        env |= {"CARETRAIL_DATA_DIR": str(data), "CARETRAIL_SQLITE_LOCK_TIMEOUT": "1"}
        done = subprocess.run([CARETRAIL, "tasks", "--overdue"], capture_output=True,
                              text=True, env=env, timeout=120, check=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 75
    assert done.stderr.startswith("caretrail: the store is busy: another process kept")
    assert len(done.stderr.splitlines()) == 1
    assert caretrail(data, "tasks", "--overdue").returncode == 0


def test_a_recorded_command_is_reported_even_when_the_views_are_busy_or_broken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The command's events are saved before the views catch up: failing then would invite
    a retry of a command that succeeded."""

    def busy() -> int:
        raise sqlite3.OperationalError("database is locked")

    caretrail: Any = SimpleNamespace(runner=SimpleNamespace(catch_up=busy))
    result = CommandResult(case_id=uuid4(), state="visited", version=3, position=9,
                           events=("HomeVisited",))
    _report(caretrail, result, as_json=False)
    out, err = capsys.readouterr()
    assert "visited, version 3 — HomeVisited" in out
    assert err == "caretrail: the views are busy (another process is writing them); they catch up later\n"

    for failure in (sqlite3.OperationalError("disk I/O error"), OverflowError("date value out of range")):

        def broken(failure: Exception = failure) -> int:
            raise failure

        caretrail.runner.catch_up = broken
        _report(caretrail, result, as_json=False)
        out, err = capsys.readouterr()
        assert "visited, version 3 — HomeVisited" in out
        assert err == (f"caretrail: recorded, but the views could not catch up "
                       f"({type(failure).__name__}); see `caretrail projections status`\n")
