"""``caretrail scheduler`` as real processes: SIGKILLed mid-sweep, two at once, the CLI's errors.

The subprocesses run with a stopped clock (the hidden ``--fixed-now`` option, here through
its environment variable) and sweep every 0.05 s. Tests poll the store for observable
state with a deadline; they never sleep to let time pass.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.bootstrap import Caretrail, build, build_outbox
from adapters.driven.locks.sqlite import FileLeaderLock
from adapters.driven.notify.outbox import ESCALATED_TOPIC
from adapters.driving.cli.main import main
from adapters.settings import Settings
from tests.fakes import FakeClock
from tests.unit.scheduler.fakes import escalation_counts, poll, seed

pytestmark = pytest.mark.slow

CARETRAIL = str(Path(sys.executable).with_name("caretrail"))
NOW = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
ONE_DAY = timedelta(days=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Caretrail]:
    """The store the subprocesses sweep, opened by the test to seed and to watch it."""
    caretrail = build(Settings(data_dir=tmp_path / "data"), clock=FakeClock(NOW))
    yield caretrail
    caretrail.close()


def environment(caretrail: Caretrail) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    env.update({
        "CARETRAIL_DATA_DIR": str(caretrail.settings.data_dir),
        "CARETRAIL_SWEEP_SECONDS": "0.05",
        "CARETRAIL_TEST_FIXED_NOW": NOW.isoformat(),
        "CARETRAIL_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def launch(caretrail: Caretrail, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [CARETRAIL, "scheduler"], env=environment(caretrail), stdout=out, stderr=subprocess.STDOUT
        )


def expected(caretrail: Caretrail) -> set[tuple[Any, int]]:
    """Every (task, level) the ladder says is due at NOW, from the cases themselves."""
    caretrail.runner.catch_up()
    wanted: set[tuple[Any, int]] = set()
    page = caretrail.read.cases(limit=100)
    rows = list(page.items)
    while page.next_cursor:
        page = caretrail.read.cases(limit=100, after=page.next_cursor)
        rows += page.items
    for row in rows:
        case = caretrail.cases.get_case(UUID(row.case_id))
        ladder = caretrail.registry.get(case.workflow).escalation_ladder()
        for task in case.open_follow_ups:
            late = (NOW - task.due_at) // ONE_DAY
            wanted |= {(task.follow_up_id, s.level) for s in ladder if late >= s.after_days}
    return wanted


def escalated(caretrail: Caretrail) -> int:
    """How many escalation events the store holds (counted, not decoded: polled often)."""
    recorder: Any = caretrail.cases.recorder
    return len(recorder.select_notifications(start=0, limit=10**6, topics=[ESCALATED_TOPIC]))


def holder(caretrail: Caretrail) -> int | None:
    record = FileLeaderLock(caretrail.settings.sqlite_dir / "scheduler.lock").holder()
    return record.pid if record else None


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


def test_a_scheduler_killed_at_random_points_20_times_escalates_every_task_exactly_once(
    store: Caretrail, tmp_path: Path
) -> None:
    clock = FakeClock(NOW)
    seed(store, clock, 40, at=NOW - timedelta(days=30))              # both rungs
    seed(store, clock, 150, at=NOW - timedelta(days=20), first=100)  # the first rung
    seed(store, clock, 30, at=NOW - timedelta(days=15, hours=12), first=300)  # no rung yet
    wanted = expected(store)
    seed_value = random.randrange(1 << 30)
    rng = random.Random(seed_value)
    log = tmp_path / "scheduler.log"
    kills, killed_mid_work, more = 0, 0, 400
    # Small random steps between kills, so that most kills land before the work runs out;
    # on a busy machine a scheduler may still outrun them: then more tasks fall due (while
    # no scheduler runs) until 20 kills have landed mid-work.
    while killed_mid_work < 20 and kills < 80:
        if escalated(store) >= len(wanted):
            seed(store, clock, 20, at=NOW - timedelta(days=30), first=more)
            more += 20
            wanted = expected(store)
        proc = launch(store, log)
        before = escalated(store)
        target = min(len(wanted), before + rng.randint(0, 6))
        reached = poll(lambda p=proc, t=target: p.poll() is not None
                       or (holder(store) == p.pid and escalated(store) >= t), timeout=30, every=0.005)
        assert reached, f"seed {seed_value}: no progress\n{tail(log)}"
        assert proc.poll() is None, f"seed {seed_value}: scheduler exited\n{tail(log)}"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
        kills += 1
        killed_mid_work += escalated(store) < len(wanted)
    final = launch(store, log)
    outbox = build_outbox(store)
    try:
        assert poll(lambda: escalated(store) >= len(wanted)
                    and outbox.counts().get("sent", 0) >= len(wanted), timeout=30), tail(log)
    finally:
        final.send_signal(signal.SIGTERM)
        assert final.wait(20) == 0, tail(log)
        outbox.store.close()
    counts = escalation_counts(store)
    print(f"\ncrash test (seed {seed_value}): {kills} SIGKILLs ({killed_mid_work} with escalations "
          f"left to do), {len(wanted)} escalations due, {sum(counts.values())} recorded, "
          f"{len(told(log))} notices logged for {len(set(told(log)))} escalations")
    assert killed_mid_work >= 20  # SIGKILLed with escalations still to record
    assert set(counts) == wanted  # no gap
    assert set(counts.values()) == {1}  # no duplicate
    keys = {e.message_key for e in outbox.entries() if e.kind == "escalation"}
    assert keys == {f"escalation:{fid}:{level}" for fid, level in wanted}
    assert set(told(log)) == {(str(fid), level) for fid, level in wanted}  # told at least once


def told(log: Path) -> list[tuple[str, int]]:
    """(task, level) of every escalation notice the subprocesses logged."""
    notices = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by SIGKILL
        if isinstance(entry, dict) and entry.get("event") == "escalation_notice":
            notices.append((entry["follow_up_id"], entry["escalation_level"]))
    return notices


def test_two_schedulers_started_together_never_duplicate_and_the_survivor_takes_over(
    store: Caretrail, tmp_path: Path
) -> None:
    clock = FakeClock(NOW)
    seed(store, clock, 60, at=NOW - timedelta(days=20))
    first_batch = expected(store)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [launch(store, logs[0]), launch(store, logs[1])]
    try:
        assert poll(lambda: escalated(store) >= len(first_batch)
                    and holder(store) in {p.pid for p in procs}, timeout=30), tail(logs[0]) + tail(logs[1])
        leader = next(i for i, p in enumerate(procs) if p.pid == holder(store))
        waiting = 1 - leader
        assert procs[waiting].poll() is None
        assert "scheduler_leading" not in logs[waiting].read_text()  # it only waited
        procs[leader].send_signal(signal.SIGKILL)
        assert procs[leader].wait(10) == -signal.SIGKILL

        seed(store, clock, 40, at=NOW - timedelta(days=18), first=500)  # due while nobody leads
        everything = expected(store)
        assert len(everything) > len(first_batch)
        assert poll(lambda: holder(store) == procs[waiting].pid
                    and escalated(store) >= len(everything), timeout=30), tail(logs[waiting])
        assert "scheduler_leading" in logs[waiting].read_text()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(20) for proc in procs]
    assert sorted(codes) == sorted([-signal.SIGKILL, 0])
    counts = escalation_counts(store)
    assert set(counts) == everything
    assert set(counts.values()) == {1}


def run(store: Caretrail, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CARETRAIL, *args], env={**environment(store), **env}, capture_output=True, text=True,
        timeout=60, check=False,
    )


def test_scheduler_once_refuses_to_run_while_another_scheduler_leads(store: Caretrail) -> None:
    lock = FileLeaderLock(store.settings.sqlite_dir / "scheduler.lock")
    with lock:
        done = run(store, "scheduler", "--once", CARETRAIL_TEST_FIXED_NOW="")  # the real clock
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"caretrail: another scheduler holds file lock {lock.path} "
                           f"(pid {os.getpid()} on {socket.gethostname()} since ")


def test_scheduler_once_sweeps_and_reports_in_json(store: Caretrail) -> None:
    seed(store, FakeClock(NOW), 3, at=NOW - timedelta(days=20))
    done = run(store, "scheduler", "--once", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # logs went to stderr
    assert report["sweep"]["escalated"] == len(expected(store)) == 3
    assert report["delivery"]["sent"] == 3


def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run ``caretrail ARGS`` in this process (only commands that end by themselves)."""
    monkeypatch.setattr(sys, "argv", ["caretrail", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CARETRAIL_NOTIFIER": "webhook"},
         "caretrail: CARETRAIL_NOTIFIER=webhook needs CARETRAIL_WEBHOOK_URL\n"),
        ({"CARETRAIL_DIGEST_TIME": "half past seven"},
         "caretrail: CARETRAIL_DIGEST_TIME: digest time 'half past seven' is not HH:MM (24-hour), "
         "e.g. 07:30\n"),
        ({"CARETRAIL_TEST_FIXED_NOW": "yesterday"},
         "caretrail: --fixed-now: 'yesterday' is not an ISO 8601 time\n"),
        ({"CARETRAIL_TEST_FIXED_NOW": "2026-10-01T10:00"}, "caretrail: --fixed-now needs a UTC offset\n"),
    ],
)
def test_scheduler_refuses_bad_settings_with_one_line(
    store: Caretrail, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    env: dict[str, str], message: str,
) -> None:
    for key, value in {**environment(store), **env}.items():
        if key.startswith("CARETRAIL_"):
            monkeypatch.setenv(key, value)
    code, _, err = cli(monkeypatch, capsys, "scheduler")
    assert (code, err) == (1, message)


def test_digest_command_prints_a_schools_digest_and_refuses_unknown_schools(
    store: Caretrail, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(store, FakeClock(NOW), 2, at=NOW - timedelta(days=20))
    monkeypatch.setenv("CARETRAIL_DATA_DIR", str(store.settings.data_dir))
    code, out, _ = cli(monkeypatch, capsys, "digest", "--school", "s1", "--json")
    assert code == 0
    digest = json.loads(out)
    assert digest["school_id"] == "s1"
    assert digest["total_overdue"] == sum(digest["by_kind"].values()) >= 2
    assert "王小明" not in out
    code, _, err = cli(monkeypatch, capsys, "digest", "--school", "s9")
    assert (code, err) == (1, "caretrail: no cases at school s9\n")
    code, _, err = cli(monkeypatch, capsys, "digest", "--school", "bad id")
    assert code == 1
    assert err.startswith("caretrail: --school 'bad id' is not a valid id")
