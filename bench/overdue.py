"""Overdue-list benchmark: the follow-up view with a million task rows.

Run by hand (not a test)::

    python -m bench.overdue [--rows 1000000] [--schools 100] [--queries 1000]

1. A follow-up view (the real table and indexes, ``FollowUpsView``) is filled with
   synthetic tasks: ``--schools`` schools of 150 cases and 70 teachers each, several
   years of history, most tasks long done, ~6% open (recent ones, and a few forgotten
   for months). Rows are loaded, then indexed, as a rebuild does; the file is kept in
   ``bench/out/`` and reused.
2. For a random school each time, ``--queries`` times: "overdue for school X, first
   page of 50" and "overdue counts per assignee for school X", through
   ``ReadModels`` (rows become pydantic models), then the very SQL it sent, straight on
   the view, then the same SQL on a bare table with one plain index on
   (school_id, status, due_at). Prints p50/p99 in milliseconds (target p99 <= 20 ms).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.driven.views.sqlite import SQLiteViewStore
from projections.follow_up_view import TASK_COLUMNS, FollowUpsView
from projections.queries import ReadModels, TaskStatus
from projections.store import Cursor, ViewStore, iso

OUT = Path(__file__).parent / "out"
NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
KINDS = {  # kind -> assignee role
    "home_visit": "head_teacher", "guardian_contact": "head_teacher",
    "parent_contact": "head_teacher", "mentor_talk": "mentor", "mentor_pairing": "supervisor",
    "counselling": "counselling_teacher", "case_review": "supervisor",
}


def synthetic_tasks(rows: int, schools: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """Task rows in the view's column order."""
    kinds = list(KINDS)
    for _ in range(rows):
        school = f"school-{rng.randrange(schools) + 1:03d}"
        kind = rng.choice(kinds)
        role = KINDS[kind]
        assignee = None if role == "supervisor" else f"{school}-t{rng.randrange(70) + 1:02d}"
        due = NOW - timedelta(days=rng.uniform(-30, 4 * 365))
        recent = due > NOW - timedelta(days=30)
        if rng.random() < (0.6 if recent else 0.035):
            status, closed, by = "open", None, None
        elif rng.random() < 0.93:
            status, closed, by = "done", due + timedelta(days=rng.uniform(-10, 12)), "event"
        else:
            status, closed, by = "cancelled", due - timedelta(days=rng.uniform(0, 10)), None
        yield (
            str(uuid.uuid4()), str(uuid.UUID(int=rng.getrandbits(128))), school,
            f"{rng.randrange(6) + 1}年级{rng.randrange(5) + 1}班", kind, kind, role, assignee,
            iso(due), status, rng.choice((0, 0, 0, 1, 2)) if status == "open" else 0,
            iso(due - timedelta(days=14)), iso(closed), by,
        )


def view_store(rows: int, schools: int) -> SQLiteViewStore:
    """The follow-up view of ``rows`` synthetic tasks (made once, then reused)."""
    path = OUT / f"overdue-{rows}-{schools}" / "follow_ups.sqlite"
    store = SQLiteViewStore(path)
    view = FollowUpsView()
    if path.with_name("READY").exists():
        return store
    print(f"loading {rows:,} task rows into {path} (once)...", flush=True)
    with store.transaction() as cur:
        for ddl in view.schema():
            cur.execute(store.adapt_ddl(ddl))
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bare_tasks AS SELECT * FROM follow_ups WHERE 0"
        )
    marks = ", ".join("?" for _ in TASK_COLUMNS)
    tasks = synthetic_tasks(rows, schools, random.Random(7))
    while chunk := [row for _, row in zip(range(50_000), tasks, strict=False)]:
        with store.transaction() as cur:
            cur.executemany(f"INSERT INTO follow_ups VALUES ({marks})", chunk)
            cur.executemany(f"INSERT INTO bare_tasks VALUES ({marks})", chunk)
    with store.transaction() as cur:
        for ddl in view.indexes():
            cur.execute(ddl)
        cur.execute("CREATE INDEX IF NOT EXISTS bare_school_status_due "
                    "ON bare_tasks (school_id, status, due_at)")
    path.with_name("READY").write_text("loaded\n")
    return store


class Recording(ViewStore):
    """Passes queries through and keeps the last statement and its parameters."""

    def __init__(self, inner: ViewStore) -> None:
        self.inner = inner
        self.last: tuple[str, Sequence[Any]] = ("", ())

    def transaction(self) -> Any:
        return self.inner.transaction()

    @contextmanager
    def reader(self) -> Iterator[Cursor]:
        with self.inner.reader() as cur:
            outer = self

            class Spy:
                rowcount = 0

                def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
                    outer.last = (sql, params)
                    return cur.execute(sql, params)

                def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> Any:
                    raise AssertionError("read only")

                def fetchone(self) -> Any:
                    return cur.fetchone()

                def fetchall(self) -> list[Any]:
                    return cur.fetchall()

            yield Spy()

    def drop_tables(self, tables: Sequence[str]) -> None:
        raise AssertionError("read only")


def timed(run: Callable[[str], Any], schools: list[str]) -> list[float]:
    """Milliseconds of each call, one random school per call."""
    out = []
    for school in schools:
        started = time.perf_counter()
        run(school)
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    store = view_store(args.rows, args.schools)
    spy = Recording(store)
    read = ReadModels({"follow_ups": spy})
    raw = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)
    rng = random.Random(11)
    picks = [f"school-{rng.randrange(args.schools) + 1:03d}" for _ in range(args.queries)]
    with store.reader() as cur:
        cur.execute("SELECT COUNT(*), SUM(status = 'open'), SUM(status = 'open' AND due_at < ?) "
                    "FROM follow_ups", (iso(NOW),))
        total, open_, late = cur.fetchone()
    print(f"{total:,} task rows, {args.schools} schools; open {open_:,}, overdue {late:,} "
          f"(~{late // args.schools} per school); {args.queries} queries each\n")
    queries: dict[str, Callable[[str], Any]] = {
        "overdue for school X, first page of 50": lambda s: read.tasks(
            now=NOW, status=TaskStatus.OVERDUE, school_ids=[s], limit=50),
        "overdue counts per assignee, school X": lambda s: read.overdue_summary(
            school_ids=[s], now=NOW),
    }
    print(f"{'query':<42} {'path':<28} {'p50 ms':>7} {'p99 ms':>7}")
    for label, query in queries.items():
        query(picks[0])
        sql, params = spy.last
        school_at = list(params).index(picks[0])

        def same_sql(
            table: str, sql: str = sql, params: Sequence[Any] = params, school_at: int = school_at
        ) -> Callable[[str], Any]:
            statement = sql.replace("FROM follow_ups", f"FROM {table}")
            return lambda s: raw.execute(
                statement, [s if i == school_at else p for i, p in enumerate(params)]
            ).fetchall()

        for path, run in (("read model (pydantic rows)", query),
                          ("same SQL on the view", same_sql("follow_ups")),
                          ("same SQL, bare table", same_sql("bare_tasks"))):
            run(picks[0])  # warm
            times = timed(run, picks)
            p99 = statistics.quantiles(times, n=100)[98]
            print(f"{label:<42} {path:<28} {statistics.median(times):>7.2f} {p99:>7.2f}")
    raw.close()
    store.close()


if __name__ == "__main__":
    main()
