"""Who this process is, and whether the process another one names has ended for sure.

A claim held by a process (an Idempotency-Key of a request it runs) names its holder so
that a process meeting the claim later can tell a holder that died (``kill -9``, a
crash, a reboot) from one still at work. Only a holder on the same host can be judged: a
pid alone may be reused, so the process's start time (Linux ``/proc``) and the host's
boot id come with it, and pids of another PID namespace (another container) are not
compared. Anything that cannot be judged counts as alive.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessId:
    """One process, named well enough to tell later whether it still runs."""

    host: str
    pid: int
    #: Linux: the kernel's boot id, the PID namespace and the start time in clock ticks
    #: since boot ('' where there is no ``/proc``).
    boot: str = ""
    namespace: str = ""
    started: str = ""

    @classmethod
    def current(cls) -> ProcessId:
        """This process."""
        pid = os.getpid()
        return cls(host=socket.gethostname(), pid=pid, boot=_boot_id(), namespace=_namespace(),
                   started=_start_time(pid) or "")

    def encode(self) -> bytes:
        """As stored beside a claim."""
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> ProcessId | None:
        """From :meth:`encode`'s bytes; None if they are not that (a claim of an older version)."""
        try:
            found = json.loads(raw)
            return cls(host=str(found["host"]), pid=int(found["pid"]), boot=str(found["boot"]),
                       namespace=str(found["namespace"]), started=str(found["started"]))
        except (ValueError, TypeError, KeyError):
            return None

    def has_ended(self) -> bool:
        """True only when sure: the process ran on this host and no longer runs (or the
        host has rebooted since). A process of another host or container counts as alive."""
        here = ProcessId.current()
        if self.host != here.host:
            return False
        if self.boot and here.boot and self.boot != here.boot:
            return True
        if self.namespace != here.namespace:
            return False
        if not self.started:  # no /proc: the pid alone (a reused pid counts as alive)
            return not _exists(self.pid)
        return _start_time(self.pid) != self.started


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def _start_time(pid: int) -> str | None:
    """The start time of a running process (None: no such process, or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    if fields[0] in ("Z", "X"):  # ended, not yet reaped by its parent
        return None
    return fields[19]  # field 22 of proc(5), counted after pid and comm


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
