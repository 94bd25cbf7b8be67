"""Catch-up benchmark: rebuild every view from a county-scale store, beside a bare read.

Run by hand (not a test)::

    python -m bench.catch_up [--schools 40] [--batch-size 5000] [--rounds 1]

1. The store: ``caretrail demo --schools N`` (150 cases per school, a school year each,
   ~27,000 events per school: 40 schools give ~1.08 million events) in
   ``bench/out/county-N/``. It is generated once (~15 min on 2 busy cores) and reused:
   re-runs skip straight to the measurements.
2. In the same run, alternating: reading every notification (``select_notifications``
   in pages of the batch size) and decoding each with the application's mapper — the
   least any catch-up must do — then ``ProjectionRunner.rebuild()`` of all views
   (drop, replay, build indexes). Prints events/s of each and their ratio
   (targets: rebuild >= 0.5 x read+decode, whole rebuild < 120 s).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from adapters.bootstrap import Caretrail, build
from adapters.settings import Settings

OUT = Path(__file__).parent / "out"
UNTIL = "2026-11-29T00:00:00+08:00"
EVENTS_PER_SCHOOL = 25_000  # at least (the seed-7 demo gives ~27,000)


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


def read_and_decode(ct: Caretrail, batch_size: int) -> tuple[int, float]:
    """Read every notification and decode it: (events, seconds)."""
    recorder, to_event = ct.cases.recorder, ct.cases.mapper.to_domain_event
    started = time.perf_counter()
    count, start = 0, 0
    while True:
        notes = recorder.select_notifications(start=start, limit=batch_size, inclusive_of_start=False)
        if not notes:
            return count, time.perf_counter() - started
        for n in notes:
            to_event(n)
        count += len(notes)
        start = notes[-1].id


def rebuild(ct: Caretrail, batch_size: int, total: int) -> tuple[int, float, float]:
    """Rebuild all views: (events, seconds, of which building indexes)."""
    loaded: list[float] = []
    seen = [0]

    def progress(n: int) -> None:
        seen[0] += n
        if seen[0] >= total:
            loaded.append(time.perf_counter())

    started = time.perf_counter()
    count = ct.runner.rebuild(progress=progress, batch_size=batch_size)
    ended = time.perf_counter()
    return count, ended - started, ended - (loaded[0] if loaded else ended)


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    ct = build(Settings(data_dir=county(args.schools)))
    try:
        total, _ = read_and_decode(ct, args.batch_size)  # warms the OS cache; not counted
        print(f"store: {args.schools} schools, {total:,} events")
        raw: list[float] = []
        built: list[float] = []
        for _ in range(args.rounds):
            n, seconds = read_and_decode(ct, args.batch_size)
            raw.append(n / seconds)
            print(f"read + decode      {n / seconds:>9,.0f} events/s  ({seconds:.1f} s)", flush=True)
            n, seconds, indexing = rebuild(ct, args.batch_size, total)
            built.append(n / seconds)
            print(f"rebuild all views  {n / seconds:>9,.0f} events/s  ({seconds:.1f} s, "
                  f"of which {indexing:.1f} s building indexes)", flush=True)
        n, seconds = read_and_decode(ct, args.batch_size)
        raw.append(n / seconds)
        print(f"read + decode      {n / seconds:>9,.0f} events/s  ({seconds:.1f} s)")
        best_raw = max(raw)
        print(f"ratio rebuild / read+decode: {min(built) / best_raw:.2f} "
              f"(slowest rebuild over fastest read; target >= 0.5)")
        for status in ct.runner.status():
            print(f"  {status.name:<11} position {status.position:>9,}  lag {status.lag}")
    finally:
        ct.close()


if __name__ == "__main__":
    main()
