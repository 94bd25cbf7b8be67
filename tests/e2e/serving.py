"""A real ``caretrail serve`` in a subprocess, for tests of processes, sockets and crashes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

CARETRAIL = str(Path(sys.executable).parent / "caretrail")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(data_dir: Path, port: int, *args: str, **env: str) -> subprocess.Popen[str]:
    """``caretrail serve`` on ``port`` over ``data_dir`` (JSON logs on stdout)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    environ |= {"CARETRAIL_DATA_DIR": str(data_dir), "CARETRAIL_LOG_FORMAT": "json", **env}
    return subprocess.Popen(
        [CARETRAIL, "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environ,
    )


def answers(port: int, path: str = "/api/v1/healthz") -> bool:
    """Whether something on ``port`` answers ``path`` with 200."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.05)  # polling, bounded by the deadline


def wait_serving(proc: subprocess.Popen[str], port: int, seconds: float = 60) -> None:
    """Wait until ``proc`` is ready on ``port`` (start-up, not the behaviour under test)."""
    def ready() -> bool:
        assert proc.poll() is None, f"serve exited: {proc.communicate()[0][-2000:]}"
        return answers(port, "/api/v1/readyz")

    wait_until(ready, seconds, "serve did not become ready")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    """A process's command line ('' once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def is_running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
