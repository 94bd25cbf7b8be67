"""ProcessId: a holder is judged ended only when that is sure (this host, /proc)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace

import pytest

from adapters.driven.processes import ProcessId

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_this_process_runs_and_survives_its_encoding() -> None:
    me = ProcessId.current()
    assert ProcessId.decode(me.encode()) == me
    assert not me.has_ended()


def test_a_killed_process_has_ended_whether_reaped_or_not() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        held = replace(ProcessId.current(), pid=child.pid, started=_started(child.pid))
        assert not held.has_ended()
        child.kill()
        deadline = time.monotonic() + 10
        while _state(child.pid) not in ("Z", None):  # until the kernel has ended it
            assert time.monotonic() < deadline
        assert held.has_ended()  # a zombie, not yet reaped
        child.wait()
        assert held.has_ended()  # gone
    finally:
        child.kill()
        child.wait()


def test_a_reused_pid_or_another_boot_means_ended_another_host_or_container_does_not() -> None:
    me = ProcessId.current()
    assert replace(me, started=str(int(me.started) + 1)).has_ended()  # the pid was reused
    assert replace(me, boot="another-boot").has_ended()  # the host rebooted since
    assert not replace(me, host="another-host", pid=1, started="1").has_ended()
    assert not replace(me, namespace="pid:[1]", pid=1, started="1").has_ended()


def test_a_claim_of_an_older_version_names_no_holder() -> None:
    assert ProcessId.decode(b"") is None
    assert ProcessId.decode(b'{"pid": 1}') is None


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _state(pid: int) -> str | None:
    fields = _stat(pid)
    return fields[0] if fields else None


def _started(pid: int) -> str:
    fields = _stat(pid)
    assert fields is not None
    return fields[19]
