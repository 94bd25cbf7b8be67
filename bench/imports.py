"""Import benchmark: a 10,000-row children's register (about 60 schools' worth) into SQLite.

Run by hand (not a test)::

    python -m bench.imports [--rows 10000] [--format xlsx|csv] [--profile]

Builds a fresh store in a temporary directory, puts 30 head teachers on the roster, writes
a generated register (``adapters.driving.imports.samples``: half the rows with a date
identified, a sixth with a last home visit), then imports it as ``caretrail import
children`` does (``Imports.children``: read, check, one ``CaseService.handle`` per
command), with a progress bar on stderr. Prints the seconds of each phase and rows/s of
the whole, by the wall clock and per CPU second (a shared machine's wall clock says
little; target: >= 1,000 rows/s). ``--profile`` prints the 25 costliest functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import typer

from adapters.bootstrap import Caretrail, build, build_accounts, guard_assignments
from adapters.driven.auth.models import Teacher, TeacherRole
from adapters.driving.imports.samples import children_rows, write_csv, write_xlsx
from adapters.driving.imports.service import Imports
from adapters.settings import Settings
from domain.values import Actor, Role

SCHOOL = "school-001"
TEACHERS = [f"{SCHOOL}-t{n:02d}" for n in range(1, 31)]


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = children_rows(args.rows, TEACHERS)
    data = write_xlsx(rows) if args.format == "xlsx" else write_csv(rows, encoding="gb18030")
    print(f"register: {args.rows} rows, {len(data) / 1e6:.1f} MB {args.format} "
          f"(generated in {time.perf_counter() - started:.1f} s)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        caretrail = build(Settings(data_dir=Path(tmp) / "data"))
        accounts = build_accounts(caretrail.settings, caretrail.clock)
        try:
            guard_assignments(caretrail, accounts)
            accounts.roster.add([Teacher(teacher_id=t, school_id=SCHOOL, name=t,
                                         roles=(TeacherRole.HEAD_TEACHER,)) for t in TEACHERS])
            _measure(caretrail, Imports(caretrail, accounts), data, args)
        finally:
            accounts.close()
            caretrail.close()


def _measure(caretrail: Caretrail, imports: Imports, data: bytes, args: argparse.Namespace) -> None:
    """Import the register once, timing its phases; print the figures."""
    actor = Actor(user_id=f"{SCHOOL}-supervisor", role=Role.SUPERVISOR)
    marks: dict[str, float] = {}
    bars: list[Any] = []

    def start(n: int) -> Any:
        marks["checked"] = time.perf_counter()
        bar = typer.progressbar(length=n, label="import", file=sys.stderr)
        bars.append(bar.__enter__())
        return bar.update

    catch_up = caretrail.runner.catch_up

    def timed_catch_up(*a: Any, **k: Any) -> Any:
        marks["views"] = time.perf_counter()
        return catch_up(*a, **k)

    caretrail.runner.catch_up = timed_catch_up  # type: ignore[method-assign]
    profile = cProfile.Profile() if args.profile else None
    began, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    report = imports.children(data, f"register.{args.format}", SCHOOL, actor, dry_run=False, start=start)
    if profile is not None:
        profile.disable()
    ended, cpu = time.perf_counter(), time.process_time() - cpu
    for bar in bars:
        bar.__exit__(None, None, None)
    print(f"read + check: {marks['checked'] - began:.2f} s; commands: "
          f"{marks['views'] - marks['checked']:.2f} s; views: {ended - marks['views']:.2f} s; "
          f"events: {caretrail.cases.position()}")
    print(f"created {len(report.created)}, skipped {len(report.skipped)}, refused {len(report.refused)}")
    print(f"import: {args.rows / (ended - began):,.0f} rows/s (whole, wall clock); "
          f"{args.rows / cpu:,.0f} rows per CPU second")
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
