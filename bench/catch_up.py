"""Catch-up benchmark: rebuild every view from a county-scale store, beside a bare read.

Run by hand (not a test)::

    python -m bench.catch_up [--schools 40] [--jobs N] [--batch-size N] [--rounds 1]

1. The store: ``caretrail demo --schools N`` (150 cases per school, a school year each,
   ~27,000 events per school: 40 schools give ~1.08 million events) in
   ``bench/out/county-N/``. It is generated once (slow: docs/performance.md) and reused:
   re-runs skip straight to the measurements.
2. In the same run, alternating: reading every notification (``select_notifications``
   in pages of 20,000) and decoding each with the application's mapper — the least any
   catch-up must do — then a rebuild of all views as ``caretrail projections rebuild``
   does it (``adapters.driving.rebuild.rebuild_views``: the views shared between ``--jobs``
   processes, default one per core, each dropping, replaying in the runner's batches —
   1,000 doubling to 100,000, read in parts of 20,000, or ``--batch-size`` — and
   indexing its views). Prints events/s of each (wall clock, and per CPU second of all
   the processes) and their ratio (targets: rebuild >= 0.5 x read+decode, whole rebuild
   < 120 s).
3. A floor: the finished rows of the audit log and of the follow-up view for the first
   ``--floor-events`` events, read back from the rebuilt views, inserted into empty
   tables of the same schema in transactions of 20,000 rows, then indexed. No decoding,
   no folding, no updates: the least SQLite itself spends on those two views, per event,
   printed beside the read + decode cost per event.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from adapters.bootstrap import Caretrail, build
from adapters.driven.views.sqlite import SQLiteViewStore
from adapters.driving.rebuild import rebuild_plan, rebuild_views
from adapters.settings import Settings
from projections.audit_view import AuditLogView
from projections.follow_up_view import FollowUpsView

OUT = Path(__file__).parent / "out"
UNTIL = "2026-11-29T00:00:00+08:00"
PAGE = 20_000


def county(schools: int) -> Path:
    """The data directory of an N-school demo store, generated on first use."""
    data = OUT / f"county-{schools}"
    ready = data / "READY"
    if ready.exists():
        return data
    if data.exists():
        raise SystemExit(f"{data} exists but was never finished: delete it and run again")
    print(f"generating {schools} schools into {data} (once; several minutes)...", flush=True)
    env = {**os.environ, "CARETRAIL_DATA_DIR": str(data)}
    started = time.perf_counter()
    caretrail = Path(sys.executable).parent / "caretrail"
    subprocess.run(
        [str(caretrail), "demo", "--schools", str(schools), "--seed", "7", "--until", UNTIL],
        env=env, check=True,
    )
    ready.write_text(f"{time.perf_counter() - started:.0f} s\n")
    return data


def read_and_decode(caretrail: Caretrail, batch_size: int) -> tuple[int, float, float]:
    """Read every notification and decode it: (events, seconds, CPU seconds)."""
    recorder, to_event = caretrail.cases.recorder, caretrail.cases.mapper.to_domain_event
    started, cpu = time.perf_counter(), time.process_time()
    count, start = 0, 0
    while True:
        notes = recorder.select_notifications(start=start, limit=batch_size, inclusive_of_start=False)
        if not notes:
            return count, time.perf_counter() - started, time.process_time() - cpu
        for n in notes:
            to_event(n)
        count += len(notes)
        start = notes[-1].id


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rebuild(
    caretrail: Caretrail, batch_size: int | None, total: int, jobs: int | None
) -> tuple[int, float, float, float]:
    """Rebuild all views as ``caretrail projections rebuild`` does: (events, seconds, of
    which after the slowest process loaded its rows, CPU seconds of all processes)."""
    loaded: list[float] = []
    seen = [0]

    def progress(n: int) -> None:
        seen[0] += n
        if seen[0] >= total and not loaded:
            loaded.append(time.perf_counter())

    started, cpu = time.perf_counter(), cpu_seconds()
    count = rebuild_views(caretrail, jobs=jobs, progress=progress, batch_size=batch_size)
    ended = time.perf_counter()
    return count, ended - started, ended - (loaded[0] if loaded else ended), cpu_seconds() - cpu


def floor(caretrail: Caretrail, events: int, scratch: Path) -> float:
    """Seconds SQLite takes to store and index the audit and task rows of ``events`` events."""
    with caretrail.runner.stores["audit_log"].reader() as cur:
        cur.execute("SELECT * FROM audit_log WHERE position <= ? ORDER BY position", (events,))
        audit = cur.fetchall()
    with caretrail.runner.stores["follow_ups"].reader() as cur:
        cur.execute("SELECT COUNT(*) FROM follow_ups")
        (tasks,) = cur.fetchone()
        cur.execute("SELECT * FROM follow_ups LIMIT ?", (tasks * events // caretrail.runner.head(),))
        rows = cur.fetchall()
    for old in scratch.glob("floor.sqlite*"):
        old.unlink()
    store = SQLiteViewStore(scratch / "floor.sqlite")
    views = (AuditLogView(), FollowUpsView())
    with store.transaction() as cur:
        for view in views:
            for ddl in view.schema():
                cur.execute(store.adapt_ddl(ddl))
    started = time.perf_counter()
    for table, data in (("audit_log", audit), ("follow_ups", rows)):
        marks = ", ".join("?" for _ in data[0])
        for i in range(0, len(data), 20_000):
            with store.transaction() as cur:
                cur.executemany(f"INSERT INTO {table} VALUES ({marks})", data[i : i + 20_000])
    for view in views:
        for ddl in view.indexes():
            with store.transaction() as cur:
                cur.execute(ddl)
    seconds = time.perf_counter() - started
    store.close()
    for old in scratch.glob("floor.sqlite*"):
        old.unlink()
    return seconds


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=None, help="fixed rebuild batches")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=None,
                        help="rebuild processes (default: one per core, as the CLI)")
    parser.add_argument("--floor-events", type=int, default=300_000)
    args = parser.parse_args()
    data = county(args.schools)
    caretrail = build(Settings(data_dir=data))
    try:
        total, _, _ = read_and_decode(caretrail, PAGE)  # warms the OS cache; not counted
        groups = rebuild_plan(caretrail, jobs=args.jobs)
        print(f"store: {args.schools} schools, {total:,} events; rebuild processes: "
              + " | ".join(", ".join(g) for g in groups))
        raw: list[tuple[float, float]] = []  # (events/s, events per CPU second)
        built: list[tuple[float, float]] = []
        for _ in range(args.rounds):
            n, seconds, cpu = read_and_decode(caretrail, PAGE)
            raw.append((n / seconds, n / cpu))
            print(f"read + decode      {n / seconds:>9,.0f} events/s  ({seconds:.1f} s, "
                  f"{n / cpu:,.0f} per CPU second)", flush=True)
            n, seconds, indexing, cpu = rebuild(caretrail, args.batch_size, total, args.jobs)
            built.append((n / seconds, n / cpu))
            print(f"rebuild all views  {n / seconds:>9,.0f} events/s  ({seconds:.1f} s, "
                  f"of which {indexing:.1f} s building indexes; {n / cpu:,.0f} per CPU second "
                  f"of all processes)", flush=True)
        n, seconds, cpu = read_and_decode(caretrail, PAGE)
        raw.append((n / seconds, n / cpu))
        print(f"read + decode      {n / seconds:>9,.0f} events/s  ({seconds:.1f} s, "
              f"{n / cpu:,.0f} per CPU second)")
        best_raw = max(r for r, _ in raw)
        print(f"ratio rebuild / read+decode: {min(b for b, _ in built) / best_raw:.2f} wall "
              f"(slowest rebuild over fastest read; target >= 0.5); CPU of all rebuild "
              f"processes: {min(b for _, b in built) / max(r for _, r in raw):.2f} of the read's")
        sample = min(args.floor_events, total)
        seconds = floor(caretrail, sample, data)
        print(f"floor: storing + indexing the finished audit and task rows of {sample:,} events "
              f"{seconds / sample * 1e6:.1f} us/event; read + decode {1e6 / best_raw:.1f} us/event")
        for status in caretrail.runner.status():
            print(f"  {status.name:<11} position {status.position:>9,}  lag {status.lag}")
    finally:
        caretrail.close()


if __name__ == "__main__":
    main()
