"""PostgreSQL benchmarks (issue 6): commands/s with 1, 2, 4 writer processes beside a bare
eventsourcing application appending the same events, and the overdue list at 1M task rows.

Run by hand (not a test): ``python -m bench.postgres [--cases 200] [--rows 1000000]``.
Needs PostgreSQL on 127.0.0.1:5432 (``CARETRAIL_TEST_POSTGRES_URL`` to change). Every figure is
printed; ratios compare runs made one after the other in the same invocation.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import random
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import psycopg

if TYPE_CHECKING:  # imported where used, so that --help loads neither
    from adapters.driven.views.postgres import PostgresViewStore
    from projections.queries import ReadModels
    from projections.views import FollowUpsView

URL = os.environ.get("CARETRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


# --------------------------------------------------------------------------- writers
def _engine_worker(schema: str, worker: int, cases: int, start: Any, out: Any) -> None:
    from adapters.bootstrap import build
    from adapters.settings import Settings
    from domain.values import (
        Actor,
        Child,
        ContactChannel,
        ContactParty,
        Guardian,
        Parents,
        ParentsAway,
        ReviewOutcome,
        Role,
    )
    from workflows.commands import (
        CaseCommand,
        IdentifyChild,
        LogContact,
        PairMentor,
        RecordCounselling,
        RecordHomeVisit,
        ReviewCase,
    )

    caretrail = build(Settings(database_url=URL, postgres_schema=schema), create_tables=False)
    teacher = Actor(user_id=f"w{worker}-t", role=Role.TEACHER)
    at = datetime(2026, 9, 1, 8, tzinfo=UTC)
    start.wait()
    began = time.perf_counter()
    commands = events = 0
    for n in range(cases):
        r = caretrail.cases.handle(IdentifyChild(
            school_id=f"school-{worker}", student_no=f"{n:06d}",
            child=Child(name="王小明", class_name="三年级2班"),
            guardian=Guardian(name="李奶奶", relation="grandmother", phone="13800000000"),
            parents=Parents(away=ParentsAway.BOTH, work_place="广东东莞"),
            head_teacher_id=teacher.user_id, occurred_at=at,
        ), teacher)
        cid, handle = r.case_id, caretrail.cases.handle
        steps: list[CaseCommand] = [
            RecordHomeVisit(case_id=cid, occurred_at=at, guardian_met=True,
                            observations="学习习惯有待加强。"),
            PairMentor(case_id=cid, occurred_at=at, teacher_id=f"w{worker}-m{n // 3}"),
            RecordCounselling(case_id=cid, occurred_at=at, summary="情绪稳定。"),
            ReviewCase(case_id=cid, occurred_at=at, outcome=ReviewOutcome.CONTINUE),
        ]
        steps += [LogContact(case_id=cid, occurred_at=at, party=party, channel=ContactChannel.PHONE)
                  for party in (ContactParty.GUARDIAN, ContactParty.PARENT, ContactParty.CHILD) * 2]
        results = [r, *(handle(step, teacher) for step in steps)]
        commands += len(results)
        events += sum(len(x.events) for x in results)
    out.put((commands, events, time.perf_counter() - began))
    caretrail.close()


def _bare_worker(schema: str, worker: int, plan: list[int], start: Any, out: Any) -> None:
    """A bare eventsourcing application: dataclass aggregate, default mapper, same saves."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Diary(Aggregate):
        @event("Opened")
        def __init__(self, school: str, text: str) -> None:
            self.entries = [text]

        @event("Written")
        def write(self, actor: str, occurred_at: str, text: str, command_id: str) -> None:
            self.entries.append(text)

    caretrail: Application[uuid.UUID] = Application(env={
        "PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": URL.rsplit("/", 1)[1],
        "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "5432", "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "", "POSTGRES_SCHEMA": schema, "POSTGRES_LOCK_TIMEOUT": "5",
        "CREATE_TABLE": "n",
    })
    payload = "x" * 300  # about the size of the engine's events as JSON (docs/performance.md)
    start.wait()
    began = time.perf_counter()
    events = 0
    for per_save in plan:
        diary = Diary(school=f"school-{worker}", text=payload)
        for _ in range(per_save - 1):
            diary.write(actor="t1", occurred_at="2026-09-01T08:00:00+00:00", text=payload,
                        command_id=str(uuid.uuid4()))
        caretrail.save(diary)
        events += per_save
    out.put((len(plan), events, time.perf_counter() - began))


def _run(target: Any, args: list[tuple[Any, ...]]) -> tuple[int, int, float]:
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, start, out)) for a in args]
    for p in procs:
        p.start()
    time.sleep(3)  # let every process import and connect before the common start
    start.set()
    results: list[tuple[int, int, float]] = []
    while len(results) < len(procs):
        try:
            results.append(out.get(timeout=1))
        except queue.Empty:
            # A worker that died (a refused command, a lost connection) never reports: stop.
            failed = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if failed:
                for p in procs:
                    p.kill()
                raise SystemExit(f"a benchmark process failed (exit codes {failed}); see above") from None
    wall = max(r[2] for r in results)  # each worker times itself from the common start
    for p in procs:
        p.join()
    return sum(r[0] for r in results), sum(r[1] for r in results), wall


def _fresh_schema(name: str, *, bare: bool = False) -> str:
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{name}"')
    if bare:
        from eventsourcing.application import Application

        Application(env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": URL.rsplit("/", 1)[1],
            "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "5432", "POSTGRES_USER": "postgres",
            "POSTGRES_PASSWORD": "", "POSTGRES_SCHEMA": name,
        }).close()
    else:
        from adapters.bootstrap import build
        from adapters.settings import Settings

        build(Settings(database_url=URL, postgres_schema=name), create_tables=True).close()
    return name


def bench_writers(cases: int) -> None:
    """Commands/s of 1, 2, 4 engine writer processes beside a bare eventsourcing app."""
    print(f"writers: each process drives {cases} cases x 10 commands")
    print(f"{'width':>5} {'engine cmd/s':>13} {'engine ev/s':>12} {'bare ev/s':>10} {'ratio':>6}")
    for width in (1, 2, 4):
        schema = _fresh_schema(f"bench_engine_{width}")
        commands, events, wall = _run(_engine_worker, [(schema, i, cases) for i in range(width)])
        per_save = max(1, round(events / commands))
        plan = [per_save] * (commands // width)
        bare_schema = _fresh_schema(f"bench_bare_{width}", bare=True)
        _, bare_events, bare_wall = _run(_bare_worker, [(bare_schema, i, plan) for i in range(width)])
        engine_rate, bare_rate = events / wall, bare_events / bare_wall
        print(f"{width:>5} {commands / wall:>13.0f} {engine_rate:>12.0f} {bare_rate:>10.0f} "
              f"{engine_rate / bare_rate:>6.2f}")


# --------------------------------------------------------------------------- overdue list
@dataclass
class Timing:
    """The durations of one kind of query, in seconds."""

    name: str
    samples: list[float]

    def line(self) -> str:
        """The name, p50 and p99 in milliseconds, as one printed line."""
        ms = sorted(s * 1000 for s in self.samples)
        p99 = ms[int(len(ms) * 0.99) - 1]
        return f"{self.name:<44} p50 {statistics.median(ms):7.2f} ms   p99 {p99:7.2f} ms"


def bench_overdue(rows: int, queries: int) -> None:
    """Time the overdue list and its counts at ``rows`` task rows, beside bare SQL."""
    from projections.queries import ReadModels

    schema = "bench_overdue"
    store, view = _overdue_store(schema)
    now = datetime(2026, 11, 29, tzinfo=UTC)
    rng = random.Random(7)  # seeded, and shared by rows then queries: every run sees the same data
    schools = [f"school-{n:03d}" for n in range(1, 201)]
    print(f"overdue: loading {rows} task rows into PostgreSQL ...")
    _load_task_rows(schema, rows, rng, schools, now)
    read = ReadModels({view.name: store})
    timings = _time_overdue_queries(read, schema, queries, rng, schools, now)
    print(f"overdue: {rows} rows, 200 schools, {queries} queries each")
    for t in timings.values():
        print("  " + t.line())
    store.close()


def _overdue_store(schema: str) -> tuple[PostgresViewStore, FollowUpsView]:
    """A fresh schema with the follow-ups view's table, and its store and view."""
    from adapters.driven.views.postgres import PostgresViewStore
    from projections.runner import ViewRunner
    from projections.views import FollowUpsView

    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    store = PostgresViewStore(URL, schema=schema)
    view = FollowUpsView()
    ViewRunner(None, {view.name: store}, [view]).setup()
    return store, view


def _load_task_rows(schema: str, rows: int, rng: random.Random, schools: list[str],
                    now: datetime) -> None:
    """COPY ``rows`` random task rows (a quarter open) into the follow-ups table, then vacuum."""
    from projections.store import iso

    kinds = ["home_visit", "mentor_talk", "guardian_contact", "parent_contact", "counselling",
             "case_review", "mentor_pairing"]
    with psycopg.connect(URL) as conn, conn.cursor() as cur:
        cur.execute(f'SET search_path TO "{schema}"')
        with cur.copy(
            "COPY follow_ups (follow_up_id, case_id, school_id, class_name, kind, rule_id, "
            "assignee_role, assignee_id, due_at, status, escalation_level, scheduled_at) FROM STDIN"
        ) as copy:
            for n in range(rows):
                school = rng.choice(schools)
                due = now + timedelta(days=rng.uniform(-300, 60))
                status = "open" if rng.random() < 0.25 else rng.choice(["done", "cancelled"])
                kind = rng.choice(kinds)
                copy.write_row((
                    str(uuid.UUID(int=n)), str(uuid.UUID(int=n // 30)), school, "3-2", kind, kind,
                    "head_teacher", f"{school}-t{rng.randint(1, 70):02d}", iso(due), status, 0,
                    iso(due - timedelta(days=14)),
                ))
        conn.commit()
    with psycopg.connect(URL, autocommit=True) as conn:
        # What autovacuum does to a table in use: statistics, and the visibility map that
        # lets the covering index answer without reading the table.
        conn.execute(f'VACUUM ANALYZE "{schema}".follow_ups')


def _time_overdue_queries(read: ReadModels, schema: str, queries: int, rng: random.Random,
                          schools: list[str], now: datetime) -> dict[str, Timing]:
    """Each of ``queries`` random schools: caretrail's overdue page and counts, and bare SQL's."""
    from projections.queries import TaskStatus
    from projections.store import iso

    bare_page = (
        f'SELECT * FROM "{schema}".follow_ups WHERE school_id = %s AND status = %s AND due_at < %s '
        "ORDER BY due_at, follow_up_id LIMIT 51"
    )
    bare_counts = (
        f'SELECT assignee_role, assignee_id, kind, COUNT(*), MIN(due_at) FROM "{schema}".follow_ups '
        "WHERE school_id = %s AND status = %s AND due_at < %s GROUP BY assignee_role, assignee_id, kind"
    )
    timings = {k: Timing(k, []) for k in (
        "caretrail: overdue, first page of 50", "bare SQL: overdue, first page of 50",
        "caretrail: overdue counts per assignee", "bare SQL: overdue counts per assignee")}
    with psycopg.connect(URL) as bare:
        for _ in range(queries):
            school = rng.choice(schools)
            for name, call in (
                ("caretrail: overdue, first page of 50", lambda school=school: read.tasks(
                    now=now, status=TaskStatus.OVERDUE, school_ids=[school], limit=50)),
                ("bare SQL: overdue, first page of 50", lambda school=school: bare.execute(
                    bare_page, (school, "open", iso(now))).fetchall()),
                ("caretrail: overdue counts per assignee", lambda school=school: read.overdue_summary(
                    school_ids=[school], now=now)),
                ("bare SQL: overdue counts per assignee", lambda school=school: bare.execute(
                    bare_counts, (school, "open", iso(now))).fetchall()),
            ):
                began = time.perf_counter()
                call()
                timings[name].samples.append(time.perf_counter() - began)
    return timings


def main() -> None:
    """Run the benchmarks the command line asks for."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=150, help="cases per writer process")
    parser.add_argument("--rows", type=int, default=1_000_000, help="task rows for the overdue list")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--skip-writers", action="store_true")
    parser.add_argument("--skip-overdue", action="store_true")
    args = parser.parse_args()
    if not args.skip_writers:
        bench_writers(args.cases)
    if not args.skip_overdue:
        bench_overdue(args.rows, args.queries)


if __name__ == "__main__":
    main()
