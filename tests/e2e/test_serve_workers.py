"""``caretrail serve --workers N``: the workers live and die with the supervising process."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from tests.e2e.serving import (
    answers,
    children,
    cmdline,
    free_port,
    is_running,
    start_serve,
    wait_serving,
    wait_until,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]


def test_workers_end_with_a_killed_serve_and_a_new_serve_takes_the_port(tmp_path: Path) -> None:
    port = free_port()
    first = start_serve(tmp_path / "data", port, "--workers", "2")
    workers: list[int] = []
    try:
        wait_serving(first, port)
        wait_until(lambda: len(workers_of(first.pid)) == 2, 30, "two workers")
        workers = workers_of(first.pid)

        first.kill()  # SIGKILL: no clean-up of any kind in the supervisor
        first.wait(timeout=10)

        wait_until(lambda: not any(is_running(w) for w in workers), 10, "the workers ending")
        assert not answers(port)
    finally:
        for worker in workers:  # a failed run must not leave its workers behind
            if is_running(worker):
                os.kill(worker, signal.SIGKILL)
        first.kill()
        first.communicate(timeout=10)  # its output pipe closes once its workers are gone

    second = start_serve(tmp_path / "data", port)
    try:
        wait_serving(second, port)  # the port is free again: no "address already in use"
    finally:
        second.send_signal(signal.SIGTERM)
        output, _ = second.communicate(timeout=30)
    assert second.returncode == 0, output[-2000:]


def workers_of(pid: int) -> list[int]:
    """The uvicorn worker processes of a ``serve`` (not multiprocessing's resource tracker)."""
    return [child for child in children(pid) if "spawn_main" in cmdline(child)]
