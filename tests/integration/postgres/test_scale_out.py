"""Several processes on one PostgreSQL store: no lost update, no DDL race, crash-safe views."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from datetime import UTC, datetime

import pytest

from adapters.bootstrap import build
from adapters.driven.views.postgres import PostgresViewStore
from adapters.settings import Settings
from domain.case import Case
from projections.runner import ViewRunner
from projections.views import all_views
from tests.conftest import identify
from tests.fakes import FakeClock
from tests.integration.postgres.conftest import python

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WRITER = """
import json, sys
from uuid import UUID, uuid4
from adapters.bootstrap import build
from domain.values import Actor, Role
from workflows.commands import AddNote
from workflows.errors import ConcurrentUpdate
caretrail = build()
case_id, n, who = UUID(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
actor = Actor(user_id=who, role=Role.TEACHER)
accepted, refused = [], 0
for i in range(n):
    command_id = uuid4()
    try:
        caretrail.cases.handle(AddNote(case_id=case_id, text=f"note {i}", command_id=command_id), actor)
        accepted.append(str(command_id))
    except ConcurrentUpdate:
        refused += 1
print(json.dumps({"accepted": accepted, "refused": refused}))
caretrail.close()
"""


def test_sixteen_writer_processes_on_one_case_lose_no_update(
    pg_settings: Settings, pg_env: dict[str, str]
) -> None:
    setup = build(pg_settings, create_tables=True)
    case_id = identify(setup.cases, FakeClock(datetime.now(UTC))).case_id
    initial = setup.cases.get_case(case_id).version
    writers = [python(WRITER, pg_env, str(case_id), "100", f"w{i}") for i in range(16)]
    results = []
    for proc in writers:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    accepted = [c for r in results for c in r["accepted"]]
    assert sum(r["refused"] for r in results) + len(accepted) == 1600
    history = setup.cases.history(case_id)
    notes = [e for e in history if isinstance(e, Case.NoteAdded)]
    assert setup.cases.get_case(case_id).version == initial + len(accepted)
    assert sorted(str(e.command_id) for e in notes) == sorted(accepted)
    assert accepted  # some writers won; every refusal was a clear ConcurrentUpdate
    setup.close()


STARTER = """
import sys
from adapters.bootstrap import build
from tests.conftest import identify
from tests.fakes import FakeClock
from datetime import datetime, UTC
caretrail = build()
result = identify(caretrail.cases, FakeClock(datetime.now(UTC)), n=int(sys.argv[1]))
caretrail.runner.catch_up()
assert caretrail.read.case(str(result.case_id)) is not None
print("served", result.case_id)
caretrail.close()
"""


def test_eight_processes_started_together_after_migrate_all_serve(
    pg_env: dict[str, str]
) -> None:
    migrate = subprocess.run(
        [str(_caretrail()), "migrate"], env=pg_env, capture_output=True, text=True, timeout=120
    )
    assert migrate.returncode == 0, migrate.stderr
    procs = [python(STARTER, pg_env, str(n)) for n in range(8)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "served" in out
        assert "concurrently updated" not in err
        assert "does not exist" not in err


CATCH_UP = """
from adapters.bootstrap import build
caretrail = build()
print("started", flush=True)
caretrail.runner.batch_size = 100
caretrail.runner.catch_up()
print("caught up")
caretrail.close()
"""


def test_projection_worker_killed_ten_times_leaves_views_equal_to_a_rebuild(
    pg_settings: Settings, pg_env: dict[str, str], demo_events: Settings
) -> None:
    from adapters.driven.events.copy import copy_events, copy_keys
    from adapters.driven.events.namespace import FILE_NAME, keep_namespace
    from adapters.driven.keys.master import FILE_NAME as MASTER_FILE
    from adapters.driven.keys.master import keep_master_key, read_key

    source = build(demo_events, create_tables=False)
    # A copied store keeps its namespace, its master key and its case keys (as
    # `caretrail migrate --from` does).
    keep_namespace(pg_settings.sqlite_dir / FILE_NAME, source.cases.id_namespace)
    keep_master_key(pg_settings.sqlite_dir / MASTER_FILE, read_key(demo_events.sqlite_dir / MASTER_FILE))
    target = build(pg_settings, create_tables=True)
    copy_keys(source.cases, target.cases)
    copied = copy_events(source.cases, target.cases)
    source.close()
    assert copied.events >= 20_000
    rng = random.Random(20261129)
    kills = 0
    positions = []
    while kills < 10:
        proc = python(CATCH_UP, pg_env)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "started"
        time.sleep(rng.uniform(0.02, 0.3))  # picks a random moment of the catch-up to kill
        if proc.poll() is not None:
            break  # finished before this kill: the rest of the log was short
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        positions.append(min(s.position for s in target.runner.status()))
        if positions[-1] >= copied.events:
            break  # caught up before the kill landed
    final = python(CATCH_UP, pg_env)
    _out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    mid_catch_up = [p for p in positions if p < copied.events]
    assert len(mid_catch_up) >= 10, f"only {len(mid_catch_up)} kills landed mid-catch-up"
    assert positions == sorted(positions)
    assert copied.events <= target.runner.head()

    rebuilt = PostgresViewStore(pg_settings.database_url or "", schema=_rebuild_schema(pg_settings))
    views = all_views()
    fresh = ViewRunner(target.cases, dict.fromkeys([v.name for v in views], rebuilt), views)
    fresh.setup()
    fresh.catch_up()
    for view in views:
        for table in view.tables:
            assert _rows(target.runner.stores[view.name], table) == _rows(rebuilt, table), table
    rebuilt.close()
    target.close()


def _rows(store: object, table: str) -> list[tuple[object, ...]]:
    with store.reader() as cur:  # type: ignore[attr-defined]
        cur.execute(f"SELECT * FROM {table} ORDER BY 1")
        return [tuple(r) for r in cur.fetchall()]


def _rebuild_schema(settings: Settings) -> str:
    import psycopg

    schema = f"{settings.postgres_schema}_r"
    with psycopg.connect(settings.database_url or "", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return schema


def _caretrail() -> object:
    import shutil
    import sys
    from pathlib import Path

    return shutil.which("caretrail") or Path(sys.executable).parent / "caretrail"
