"""Engine benchmark: a school year of commands on SQLite beside a bare eventsourcing service.

Run by hand (not a test)::

    python -m bench.engine [--schools 1] [--rounds 3] [--chunk 200] [--rebuild-events 1000]

1. The engine: the synthetic school year of ``adapters.driving.demo`` (150 cases per school, home
   visits, pairings, counselling, reviews, contacts, some refusals) through
   ``CaseService.handle`` on a SQLite file, configured as in production (pydantic mapper,
   aggregate cache, snapshots every 50 events). Its time is the time spent inside
   ``handle`` (the generator's own time is printed beside it).
2. In the same run, a bare eventsourcing ``Application`` (plain dataclass aggregate,
   default mapper, SQLite file of its own) appends the same events: every save the
   engine made, with the same aggregates and the same number of events per aggregate,
   each event padded to the size the engine stored for it. The bare app holds its
   aggregates in memory: it only appends. The two are interleaved every ``--chunk``
   commands so that both meet the same disk (this machine's fsync times vary several
   fold from minute to minute). Target: engine events/s >= 0.5 x bare.
3. Rebuilding one case of ``--rebuild-events`` events, with snapshots (the default
   interval) and without (target: <= 2 ms with).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from adapters.bootstrap import case_service
from adapters.driven.clock import Clock
from adapters.driven.events.environment import event_store_env
from adapters.driving.demo import generate
from adapters.settings import Settings
from domain.values import Actor, Child, ContactChannel, ContactParty, Guardian, Parents, ParentsAway, Role
from workflows.commands import AddNote, IdentifyChild, LogContact
from workflows.registry import Registry
from workflows.services import CaseService

UNTIL = datetime(2026, 11, 29, tzinfo=UTC)


class FakeClock(Clock):
    """A clock the benchmark moves (the demo generator sets it as history unfolds)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment``."""
        self.now = moment

    def advance(self, **delta: float) -> None:
        """Move forward by a timedelta given as keywords."""
        self.now += timedelta(**delta)


def engine_service(directory: Path, clock: Callable[[], datetime], **settings: Any) -> CaseService:
    """The case application on a SQLite file, configured as ``adapters.bootstrap`` does."""
    s = Settings(data_dir=directory, **settings)
    return case_service(s, event_store_env(s), registry=Registry.load(), clock=clock)


@dataclass
class Thing(Aggregate):
    """The bare app's aggregate: a plain dataclass with one event carrying text."""

    text: str

    @event("Noted")
    def note(self, text: str) -> None:
        """Record some text (padding to the size of a caretrail event)."""
        self.text = text


class Bare:
    """A bare eventsourcing app replaying the engine's saves: same shapes, same sizes."""

    def __init__(self, directory: Path, engine_mapper: Any) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.application: Application[UUID] = Application(env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(directory / "bare.sqlite"),
            "SQLITE_LOCK_TIMEOUT": "10",
        })
        self.engine_mapper = engine_mapper
        self.pending: list[list[Any]] = []  # the engine's saved events, one list per save
        self.things: dict[UUID, Thing] = {}
        self.events = 0
        self.seconds = 0.0  # inside the bare app's saves
        self.total = 0.0  # whole catch-ups (to take out of the engine's wall time)
        self.saves = 0
        probe = Thing(text="")
        probe.note("")
        self.overhead = len(self.application.mapper.to_stored_event(probe.collect_events()[-1]).state)

    def saved(self, recordings: list[Any]) -> None:
        """Remember one engine save (called inside the engine's timing: keep it cheap)."""
        if recordings:
            self.pending.append([r.domain_event for r in recordings])

    def catch_up(self) -> None:
        """Append every save the engine made since the last call; only the saves are timed."""
        entered = time.perf_counter()
        plans = [[(e.originator_id, self._padding(e)) for e in events] for events in self.pending]
        self.pending = []
        for plan in plans:
            batch: dict[UUID, Thing] = {}
            for originator_id, text in plan:
                thing = self.things.get(originator_id)
                if thing is None:
                    thing = self.things[originator_id] = Thing(text=text)
                else:
                    thing.note(text)
                batch[originator_id] = thing
            began = time.perf_counter()
            self.application.save(*batch.values())
            self.seconds += time.perf_counter() - began
            self.events += len(plan)
            self.saves += 1
        self.total += time.perf_counter() - entered

    def _padding(self, domain_event: Any) -> str:
        size = len(self.engine_mapper.to_stored_event(domain_event).state)
        return "x" * max(0, size - self.overhead)


@dataclass
class Round:
    """One interleaved run: the engine's figures and the bare app's."""

    commands: int
    events: int
    seconds: float  # inside CaseService.handle
    wall: float  # the whole generated year, generator included
    bare_events: int
    bare_seconds: float
    saves: int
    mean_bytes: float

    @property
    def ratio(self) -> float:
        """Engine events/s over bare events/s."""
        return (self.events / self.seconds) / (self.bare_events / self.bare_seconds)


def run_round(directory: Path, schools: int, seed: int, chunk: int) -> Round:
    """Drive the synthetic year through the engine, the bare app catching up every ``chunk``."""
    clock = FakeClock(UNTIL)
    service = engine_service(directory / "engine", clock)
    bare = Bare(directory / "bare", service.mapper)
    real_save = service.save
    service.save = lambda *objs, **kw: _tap(real_save(*objs, **kw), bare)  # type: ignore[method-assign]
    spent = [0.0, 0]
    service.handle = _timed(service.handle, spent, chunk, bare)  # type: ignore[method-assign]
    try:
        began = time.perf_counter()
        summary = generate(service, clock.set, seed=seed, schools=schools, until=UNTIL)
        wall = time.perf_counter() - began - bare.total
        bare.catch_up()
        events = service.position()
        stored = service.recorder.select_notifications(1, events)
        mean_bytes = statistics.fmean(len(n.state) for n in stored)
    finally:
        service.close()
        bare.application.close()
    assert bare.events == events
    return Round(summary.commands, events, float(spent[0]), wall, bare.events,
                 bare.seconds, bare.saves, mean_bytes)


def _tap(recordings: Any, bare: Bare) -> Any:
    bare.saved(recordings)
    return recordings


def _timed(method: Callable[..., Any], spent: list[Any], chunk: int, bare: Bare) -> Callable[..., Any]:
    """``method``, adding its time to ``spent[0]``; every ``chunk`` calls the bare app catches up."""
    def call(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - began
            spent[1] += 1
            if spent[1] % chunk == 0:
                bare.catch_up()  # outside the engine's timing
    return call


def rebuild_times(directory: Path, events: int, repeat: int = 50) -> tuple[int, int, float, float]:
    """(case version, events after the last snapshot, median ms with snapshots, ms without)."""
    clock = FakeClock(UNTIL - timedelta(days=400))
    service = engine_service(directory, clock)
    head = Actor(user_id="t-head", role=Role.TEACHER)
    case_id = service.handle(IdentifyChild(
        school_id="s1", student_no="1", child=Child(name="王小明"),
        guardian=Guardian(name="李奶奶", relation="grandmother"), parents=Parents(away=ParentsAway.BOTH),
        head_teacher_id="t-head", occurred_at=clock(),
    ), head).case_id
    parties = [ContactParty.GUARDIAN, ContactParty.PARENT]
    n = 0
    while service.get_case(case_id).version < events:
        clock.advance(hours=6)
        if n % 2:
            note = AddNote(case_id=case_id, occurred_at=clock(), text="按时完成作业，情绪稳定。")
            service.handle(note, head)
        else:
            service.handle(LogContact(case_id=case_id, occurred_at=clock(), party=parties[n // 2 % 2],
                                  channel=ContactChannel.PHONE), head)
        n += 1
    assert service.snapshots is not None
    # Then half an interval more, one event at a time: the average distance from a snapshot.
    while (after_snapshot := service.get_case(case_id).version
           - list(service.snapshots.get(case_id))[-1].originator_version) < Settings().snapshot_interval // 2:
        clock.advance(hours=6)
        service.handle(AddNote(case_id=case_id, occurred_at=clock(), text="按时完成作业，情绪稳定。"), head)
    version = service.get_case(case_id).version
    service.close()
    with_snapshots = engine_service(directory, clock)
    without = engine_service(directory, clock, snapshot_interval=0)
    try:
        timed = [_median_ms(lambda a=a: a.get_case(case_id, version=version), repeat)  # type: ignore[misc]
                 for a in (with_snapshots, without)]
    finally:
        with_snapshots.close()
        without.close()
    return version, after_snapshot, timed[0], timed[1]


def _median_ms(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    """Run every part and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=1, help="150 cases per school")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=200, help="commands between bare catch-ups")
    parser.add_argument("--rebuild-events", type=int, default=1000)
    args = parser.parse_args()

    rounds: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="caretrail-bench-") as tmp:
        for r in range(args.rounds):
            rounds.append(run := run_round(Path(tmp) / f"round{r}", args.schools, args.seed, args.chunk))
            print(f"round {r + 1}: engine {run.events} events in {run.seconds:.2f} s inside the use "
                  f"cases ({run.wall:.2f} s with the generator); bare {run.bare_events} events in "
                  f"{run.bare_seconds:.2f} s; ratio {run.ratio:.2f}")
        version, after, with_ms, without_ms = rebuild_times(Path(tmp) / "rebuild", args.rebuild_events)

    med = statistics.median
    first = rounds[0]
    print()
    print(f"engine: {args.schools * 150} cases, {first.commands} commands, {first.events} events in "
          f"{first.saves} saves ({first.events / first.saves:.2f} events/save), mean stored event "
          f"{first.mean_bytes:.0f} bytes")
    print(f"engine: {med(r.commands / r.seconds for r in rounds):,.0f} commands/s, "
          f"{med(r.events / r.seconds for r in rounds):,.0f} events/s; with the generator "
          f"{med(r.events / r.wall for r in rounds):,.0f} events/s (medians of {args.rounds} rounds)")
    print(f"bare eventsourcing, same saves: {med(r.bare_events / r.bare_seconds for r in rounds):,.0f} "
          f"events/s")
    print(f"ratio engine/bare: {med(r.ratio for r in rounds):.2f} (target >= 0.5; per round: "
          f"{', '.join(f'{r.ratio:.2f}' for r in rounds)}); with the generator's time "
          f"{med((r.events / r.wall) / (r.bare_events / r.bare_seconds) for r in rounds):.2f}")
    print(f"rebuild a case of {version} events: {with_ms:.2f} ms with snapshots ({after} events "
          f"after the last one; target <= 2 ms), {without_ms:.2f} ms without")


if __name__ == "__main__":
    main()
