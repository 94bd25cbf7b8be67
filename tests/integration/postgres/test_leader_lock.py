"""The scheduler's advisory lock: one holder per schema, released when its process dies."""

from __future__ import annotations

import os
import signal
import socket

import pytest

from adapters.driven.locks.postgres import PostgresLeaderLock
from tests.integration.postgres.conftest import python

pytestmark = pytest.mark.postgres

HOLDER = """
import sys
from adapters.driven.locks.postgres import PostgresLeaderLock
lock = PostgresLeaderLock(sys.argv[1], sys.argv[2])
assert lock.acquire(timeout=10)
print("holding", flush=True)
import signal
signal.pause()  # hold until killed
"""


def test_only_one_session_holds_the_lock_of_a_schema(pg_url: str, pg_schema: str) -> None:
    first = PostgresLeaderLock(pg_url, pg_schema)
    second = PostgresLeaderLock(pg_url, pg_schema)
    elsewhere = PostgresLeaderLock(pg_url, f"{pg_schema}_other")
    assert first.acquire(blocking=False)
    assert not second.acquire(blocking=False)
    assert elsewhere.acquire(blocking=False)
    assert first.keep_alive()
    holder = second.holder()  # the same record as the file lock's, for ``caretrail scheduler``
    assert holder is not None
    assert (holder.pid, holder.host) == (os.getpid(), socket.gethostname())
    assert holder.since is not None
    assert str(holder).startswith(f"pid {os.getpid()} on {socket.gethostname()} since ")
    first.release()
    assert not first.keep_alive()
    assert second.acquire(blocking=False)
    second.release()
    elsewhere.release()


def test_a_killed_holder_loses_the_lock_to_a_waiting_one(
    pg_url: str, pg_schema: str, pg_env: dict[str, str]
) -> None:
    proc = python(HOLDER, pg_env, pg_url, pg_schema)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "holding"
    waiting = PostgresLeaderLock(pg_url, pg_schema, poll_interval=0.05)
    assert not waiting.acquire(blocking=False)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert waiting.acquire(timeout=10)
    assert waiting.keep_alive()
    waiting.release()
