"""County report benchmark: the report on every school of a county, from the views.

Run by hand (not a test)::

    python -m bench.reports [--schools 4] [--scale 40] [--rounds 20]

1. The store: ``caretrail demo --schools N`` (``bench.catch_up.county``: ~27,000 events
   per school, a school year to 29 November 2026) in ``bench/out/county-N/``, made once
   and reused, with its views caught up.
2. The report on all N schools, for the school year (2025-12-01 to 2026-11-28) and for
   the autumn term, ``--rounds`` times each: the queries alone (``ReadModels.report``),
   then the tables and the ``.xlsx`` workbook as the API sends them. Prints p50 and max
   wall time and the p50 CPU time of this process, in milliseconds.
3. ``--scale S``: a copy of the three views in ``bench/out/report-scaled-S/`` whose rows
   are the N schools' rows repeated until there are S schools (new school, case, task
   ids and log positions; same dates, states and counts), so the views hold what an
   S-school county's would (40 schools: ~1.08 million events' rows). The report never
   reads the event log, so this measures the county report at that size without
   generating a million events (more than 30 minutes here). The same timings as 2.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from adapters.bootstrap import build
from adapters.driven.views.sqlite import SQLiteViewStore
from adapters.driving.web.report_files import file_bytes, report_tables
from adapters.settings import Settings
from bench.catch_up import OUT, county
from projections.queries import ReadModels
from projections.views import all_views

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 29, 8, tzinfo=SHANGHAI)
PERIODS = {
    "school year": (datetime(2025, 12, 1, tzinfo=SHANGHAI), datetime(2026, 11, 29, tzinfo=SHANGHAI)),
    "autumn term": (datetime(2026, 9, 1, tzinfo=SHANGHAI), datetime(2027, 3, 1, tzinfo=SHANGHAI)),
}
#: Per view table: its key column, how a copy's key is made unique, and the school column.
COPIES = {
    "cases": ("cases", "case_id || '-' || ?"),
    "follow_ups": ("follow_ups", "follow_up_id || '-' || ?"),
    "audit_log": ("audit_log", "position + ? * 100000000"),
}


def timed(run: Callable[[], Any], rounds: int) -> tuple[float, float, float]:
    """p50 and max wall time and p50 CPU time of ``rounds`` runs, in milliseconds (one
    warm-up run first). On a shared machine the CPU time is the steadier of the two."""
    run()
    walls, cpus = [], []
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), max(walls), statistics.median(cpus)


def measure(read: ReadModels, schools: list[str], rounds: int, label: str) -> None:
    """Print the report's timings over ``schools``."""
    for name, (since, until) in PERIODS.items():
        def queries(since: datetime = since, until: datetime = until) -> Any:
            return read.report(school_ids=schools, since=since, until=until, now=NOW)

        def workbook() -> bytes:
            return file_bytes(report_tables(queries(), "zh_CN", local=_local), "xlsx")

        total = queries().total()
        alone, whole = timed(queries, rounds), timed(workbook, rounds)
        print(f"{label}, {name}: {len(schools)} schools, {total.children} children, "
              f"{total.home_visits} home visits; queries p50 {alone[0]:.1f} ms max {alone[1]:.1f} ms "
              f"(CPU p50 {alone[2]:.1f} ms); queries + .xlsx p50 {whole[0]:.1f} ms max "
              f"{whole[1]:.1f} ms (CPU p50 {whole[2]:.1f} ms)", flush=True)


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def scaled_views(source: Path, schools: list[str], scale: int) -> Path:
    """The views of ``source`` with their rows repeated to ``scale`` schools (made once)."""
    target = OUT / f"report-scaled-{scale}-from-{len(schools)}"
    ready = target / "READY"
    if ready.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    copies = -(-scale // len(schools))
    for view, (table, key) in COPIES.items():
        path = target / f"{view}.sqlite"
        shutil.copy(source / f"{view}.sqlite", path)
        conn = sqlite3.connect(path)
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        key_column = columns[0]
        for k in range(1, copies):
            values = ", ".join(
                key.replace("?", str(k)) if c == key_column
                else f"school_id || '-c{k}'" if c == "school_id"
                else "case_id || '-' || " + str(k) if c == "case_id"
                else c
                for c in columns)
            conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM {table} "
                         f"WHERE school_id NOT LIKE '%-c%'")
            conn.commit()
        # No ANALYZE: the views run without statistics, and the plans must be theirs.
        rows = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        print(f"  {view}: {rows} rows", flush=True)
        conn.close()
    ready.write_text("ok\n")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=4)
    parser.add_argument("--scale", type=int, default=40, help="Schools of the scaled views (0: none).")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    data = county(args.schools)
    caretrail = build(Settings(data_dir=data))
    try:
        caretrail.runner.catch_up()
        events = caretrail.cases.position()
        read = ReadModels(caretrail.runner.stores)
        schools = sorted({row[0] for row in caretrail.runner.stores["cases"].fetch_all(
            "SELECT DISTINCT school_id FROM cases")})
        print(f"store: {data} ({events} events)", flush=True)
        measure(read, schools, args.rounds, "demo store")
        views = caretrail.settings.sqlite_dir / "views"
    finally:
        caretrail.close()
    if args.scale:
        target = scaled_views(views, schools, args.scale)
        stores = {v.name: SQLiteViewStore(target / f"{v.name}.sqlite") for v in all_views()}
        try:
            read = ReadModels(stores)
            every = sorted(row[0] for row in stores["cases"].fetch_all(
                "SELECT DISTINCT school_id FROM cases"))[: args.scale]
            print(f"scaled views: {target} (about {events * len(every) // len(schools)} events' rows)",
                  flush=True)
            measure(read, every, args.rounds, "scaled views")
        finally:
            for store in stores.values():
                store.close()


if __name__ == "__main__":
    main()
