"""How many PostgreSQL connections one caretrail process holds: few when idle, bounded when busy."""

from __future__ import annotations

import subprocess
import sys
import uuid

import psycopg
import pytest

from tests.integration.postgres.conftest import ROOT

pytestmark = [pytest.mark.postgres]

# Builds the caretrail, works a little, and reports between steps; the test counts its connections
# by application name (libpq reads PGAPPNAME for every connection the process opens).
PROCESS = """
import sys
from adapters.bootstrap import build
from tests.conftest import identify
from tests.fakes import FakeClock
from datetime import datetime, UTC
caretrail = build(create_tables=True)
print("idle", flush=True)
sys.stdin.readline()
for n in range(20):
    identify(caretrail.cases, FakeClock(datetime.now(UTC)), n=n)
caretrail.runner.catch_up()
caretrail.read.cases(limit=10)
print("worked", flush=True)
sys.stdin.readline()
caretrail.close()
"""


def _connections(pg_url: str, name: str) -> int:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_process_opens_one_connection_per_pool_and_grows_only_to_the_pool_size(
    pg_url: str, pg_env: dict[str, str]
) -> None:
    # Each pool used to open POSTGRES_POOL_SIZE connections at start: sixteen processes then
    # exhausted the server's max_connections (100) before doing anything.
    name = f"caretrail-test-{uuid.uuid4().hex[:12]}"
    env = {**pg_env, "PGAPPNAME": name, "CARETRAIL_POSTGRES_POOL_SIZE": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-c", PROCESS], env=env, cwd=ROOT, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "idle", proc.stderr.read() if proc.stderr else ""
        # At most: the event store, the views, the accounts, the runner's LISTEN
        # connection and the key store's (its pool opens none ahead: the one start-up
        # used stays), the pools opening theirs in the background, so maybe fewer yet.
        assert _connections(pg_url, name) <= 5
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "worked", proc.stderr.read() if proc.stderr else ""
        assert 1 <= _connections(pg_url, name) <= 4 * 2 + 1
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.communicate()
