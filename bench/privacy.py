"""Privacy benchmark: what encryption by default (master key + per-case keys) costs.

Run by hand (not a test)::

    python -m bench.privacy [--schools 1] [--rounds 1] [--events 1000] [--reads 200]

In one run, on SQLite files of their own, each measurement with the defaults (bodies
encrypted under the master key, personal fields sealed under each case's key) and with
encryption off (a store as written before it was the default):

1. The engine: the synthetic school year of ``adapters.driving.demo`` through
   ``CaseService.handle``; events/s inside ``handle``. Rounds alternate the order of the
   two stores. Target: defaults >= 0.85 x off.
2. A case read at ``--events`` events: ``get_case`` without the aggregate cache (the
   latest snapshot plus the events after it, decoded), p50/p99 of ``--reads`` reads; and
   the whole history decoded (``stream_history``), p50/p99 of 20 reads.
3. A full rebuild of every view of the demo store (``rebuild_views``, one process),
   seconds, and the ratio encrypted / off.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.bootstrap import Caretrail, build
from adapters.driving.demo import generate
from adapters.driving.rebuild import rebuild_views
from adapters.settings import Settings
from bench.engine import UNTIL, FakeClock
from domain.values import Actor, Child, ContactChannel, ContactParty, Guardian, Parents, ParentsAway, Role
from workflows.commands import AddNote, IdentifyChild, LogContact

TEACHER = Actor(user_id="bench-t", role=Role.TEACHER)


def opened(directory: Path, clock: FakeClock, *, encrypted: bool, **settings: Any) -> Caretrail:
    """caretrail on ``directory``; ``encrypted=False``: a store written in plain text."""
    caretrail = build(Settings(data_dir=directory, **settings), clock=clock)
    if not encrypted and not caretrail.cases.position():
        caretrail.cases.mapper.cipher = None  # as before encryption was the default
        caretrail.cases.mapper.keys = None
    return caretrail


def timed_handle(caretrail: Caretrail) -> list[float]:
    """Wrap ``handle`` so the time spent inside it is summed in the returned list."""
    spent = [0.0]
    real = caretrail.cases.handle

    def handle(command: Any, actor: Any) -> Any:
        began = time.perf_counter()
        try:
            return real(command, actor)
        finally:
            spent[0] += time.perf_counter() - began

    caretrail.cases.handle = handle  # type: ignore[method-assign]
    return spent


def engine_round(directory: Path, *, encrypted: bool, schools: int) -> float:
    """Events/s inside ``handle`` for one demo school year."""
    clock = FakeClock(UNTIL - timedelta(days=366))
    caretrail = opened(directory, clock, encrypted=encrypted)
    try:
        spent = timed_handle(caretrail)
        generate(caretrail.cases, clock.set, seed=7, schools=schools, until=UNTIL)
        return caretrail.cases.position() / spent[0]
    finally:
        caretrail.close()


def long_case(caretrail: Caretrail, clock: FakeClock, events: int) -> Any:
    """One case with about ``events`` events, half of them carrying personal free text."""
    made = caretrail.cases.handle(IdentifyChild(
        school_id="s1", student_no="long-1", child=Child(name="王小明", class_name="三年级2班"),
        guardian=Guardian(name="李奶奶", relation="grandmother", phone="13800000000"),
        parents=Parents(away=ParentsAway.BOTH, work_place="广东东莞"), head_teacher_id="bench-t",
    ), TEACHER)
    for n in range(events - made.version):
        clock.advance(minutes=10)
        command = (AddNote(case_id=made.case_id, text=f"第{n}次：孩子说想妈妈，奶奶身体不好")
                   if n % 2 else LogContact(case_id=made.case_id, party=ContactParty.GUARDIAN,
                                            channel=ContactChannel.PHONE, summary=f"call {n}"))
        caretrail.cases.handle(command, TEACHER)
    return made.case_id


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def reads(directory: Path, *, encrypted: bool, events: int, count: int) -> dict[str, tuple[float, float]]:
    """p50/p99 (ms) of a cold case read and of a whole history, at ``events`` events."""
    clock = FakeClock(UNTIL - timedelta(days=30))
    caretrail = opened(directory, clock, encrypted=encrypted, aggregate_cache_size=0)
    try:
        case_id = long_case(caretrail, clock, events)
        cases = caretrail.cases

        def sample(read: Callable[[], Any], n: int) -> tuple[float, float]:
            out = []
            for _ in range(n):
                began = time.perf_counter()
                read()
                out.append((time.perf_counter() - began) * 1000)
            return percentiles(out)

        return {
            "case read": sample(lambda: cases.get_case(case_id), count),
            "whole history": sample(lambda: sum(1 for _ in cases.stream_history(case_id)), 20),
        }
    finally:
        caretrail.close()


def rebuild_seconds(directory: Path) -> float:
    """One full rebuild of every view, in this process."""
    caretrail = build(Settings(data_dir=directory), clock=FakeClock(UNTIL))
    try:
        began = time.perf_counter()
        rebuild_views(caretrail, jobs=1)
        return time.perf_counter() - began
    finally:
        caretrail.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rates: dict[bool, list[float]] = {True: [], False: []}
        for r in range(args.rounds):
            for encrypted in ((True, False) if r % 2 == 0 else (False, True)):
                where = root / f"engine-{encrypted}-{r}"
                rates[encrypted].append(engine_round(where, encrypted=encrypted, schools=args.schools))
        on, off = statistics.median(rates[True]), statistics.median(rates[False])
        print(f"engine, demo year of {args.schools} school(s), {args.rounds} round(s): "
              f"defaults {on:,.0f} events/s, encryption off {off:,.0f} events/s, ratio {on / off:.2f}")
        for encrypted in (True, False):
            found = reads(root / f"reads-{encrypted}", encrypted=encrypted, events=args.events,
                          count=args.reads)
            label = "defaults" if encrypted else "off"
            for what, (p50, p99) in found.items():
                print(f"{what} at {args.events} events, {label}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        rebuilt = {e: rebuild_seconds(root / f"engine-{e}-0") for e in (True, False)}
        print(f"full view rebuild of the demo store: defaults {rebuilt[True]:.1f} s, "
              f"off {rebuilt[False]:.1f} s, ratio {rebuilt[True] / rebuilt[False]:.2f}")


if __name__ == "__main__":
    main()
