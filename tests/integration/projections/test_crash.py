"""Exactly once under crashes: the projector is SIGKILLed at random points, again and again.

A subprocess catches the views up over interleaved demo schools (>= 50,000 events) and is
killed with SIGKILL more than twenty times, at random moments in its batches. After it
is finally let finish, every view must equal, row by row, a rebuild from zero and an
independent fold of the events computed here.
"""

from __future__ import annotations

import os
import random
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapters.bootstrap import build
from adapters.driven.views.sqlite import SQLiteViewStore
from adapters.settings import Settings
from projections.runner import ViewRunner
from projections.views import all_views
from tests.integration.projections.oracle import all_tables, fold, read_log, views_as_rows

ROOT = Path(__file__).resolve().parents[3]
KILLS = 24
BATCH = 400
VIEWS = ("cases", "follow_ups", "audit_log")


class Child:
    """The projector process and the lines it prints."""

    def __init__(self, data_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.projections.projector_child",
             str(data_dir), str(BATCH)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self._buffer = b""

    def line(self, timeout: float = 60.0) -> str:
        """The next line printed ('' once the process has exited)."""
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("the projector printed nothing for a minute")
            chunk = os.read(fd, 4096)
            if not chunk:
                return ""
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def kill(self) -> bool:
        """SIGKILL it; False if it had finished its work (exit 0) before the signal landed."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        if self.proc.returncode == 0:
            return False
        assert self.proc.returncode == -signal.SIGKILL, self.proc.stderr.read() if self.proc.stderr else ""
        return True


def tracking(views: Path) -> dict[str, int]:
    """Each view's committed position, read from its file as another process would."""
    found = {}
    for name in VIEWS:
        path = views / f"{name}.sqlite"
        if not path.exists():
            found[name] = 0
            continue
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            try:
                row = conn.execute("SELECT position FROM view_tracking WHERE name = ?",
                                   (name,)).fetchone()
            except sqlite3.OperationalError:  # killed before the tables were created
                row = None
        conn.close()
        found[name] = row[0] if row else 0
    return found


def audit_rows(views: Path) -> tuple[int, int]:
    """(count, highest position) of the audit log's rows."""
    with sqlite3.connect(f"file:{views / 'audit_log.sqlite'}?mode=ro", uri=True) as conn:
        count, top = conn.execute("SELECT COUNT(*), COALESCE(MAX(position), 0) FROM audit_log").fetchone()
    conn.close()
    return count, top


@pytest.mark.slow
def test_views_killed_at_random_points_end_equal_to_a_rebuild_and_to_the_fold(
    crash_events: Path, tmp_path: Path
) -> None:
    seed = int(os.environ.get("CRASH_SEED", time.time_ns() % 10**6))
    rng = random.Random(seed)
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(crash_events, data / "events.sqlite")
    shutil.copy(crash_events.with_name("id.namespace"), data / "id.namespace")
    views = data / "views"
    events = build(Settings(data_dir=data), create_tables=False)
    total = events.runner.head()
    assert total >= 50_000
    # Kill points: two during start-up, the rest after a random position, a random
    # moment into the batch that follows (a batch takes a few tens of milliseconds).
    targets = [0, 0, *sorted(rng.randrange(total) for _ in range(KILLS - 2))]
    kills: list[dict[str, int]] = []
    for target in targets:
        child = Child(data)
        assert child.line() == "ready", f"seed {seed}"
        reached = min(tracking(views).values())
        while reached < target and (line := child.line()).startswith("at "):
            reached = int(line.split()[1])
        if child.proc.poll() is not None:
            break
        time.sleep(rng.uniform(0, 0.05))  # a random point in the work, not a wait for it
        if not child.kill():
            break  # the last batches were done before the signal: nothing left to kill
        positions = tracking(views)
        kills.append(positions)
        # Rows and position commit together: the audit log holds exactly the events
        # up to its position, never a torn batch (notification ids here have no gaps).
        assert audit_rows(views) == (positions["audit_log"], positions["audit_log"]), f"seed {seed}"
    child = Child(data)
    while (line := child.line()) not in ("done", ""):
        pass
    assert child.proc.wait(timeout=60) == 0, child.proc.stderr.read() if child.proc.stderr else ""

    assert len(kills) >= 20, f"seed {seed}: the projector finished after {len(kills)} kills"
    assert len({tuple(k.values()) for k in kills}) >= 15, f"seed {seed}: kills at too few points"
    # A batch commits its views one after the other at its end, so a kill lands between
    # two of them only now and then (2 or 3 of 22 kills in runs with seeds 11-13); the
    # views-contract tests stop a batch between two commits on purpose.
    assert tracking(views) == dict.fromkeys(VIEWS, total)

    survived = all_tables(events.runner.stores, {p.name: p.tables for p in events.runner.projections})
    fresh = {p.name: SQLiteViewStore(tmp_path / "rebuilt" / f"{p.name}.sqlite") for p in all_views()}
    rebuilt = ViewRunner(events.cases, fresh, all_views())
    rebuilt.setup()
    assert rebuilt.rebuild() == total
    assert all_tables(fresh, {p.name: p.tables for p in rebuilt.projections}) == survived
    assert views_as_rows(events.runner.stores) == fold(read_log(events.cases))
    for store in fresh.values():
        store.close()
    events.close()
