"""The leader lock port: only its holder sweeps a store.

Correctness never depends on the lock (escalation commands are idempotent and the case
re-checks itself); the lock keeps a second scheduler from doing the same work twice
and from sending the same notice twice. Implementations: a file lock beside the SQLite
files (``sqlite.py``) and a session advisory lock (``postgres.py``).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType


class LockError(Exception):
    """Raised when no leader lock can be made for a store."""


@dataclass(frozen=True)
class LockHolder:
    """Who holds a leader lock, as far as its backend can tell."""

    host: str | None
    pid: int | None
    since: datetime | None

    def __str__(self) -> str:
        who = f"pid {self.pid}" if self.pid is not None else "a process"
        where = f" on {self.host}" if self.host else ""
        when = f" since {self.since.isoformat(timespec='seconds')}" if self.since else ""
        return who + where + when


class LeaderLock(ABC):
    """A lock held by at most one scheduler per store, released when its process dies."""

    #: Seconds between attempts while another holder has the lock.
    poll_interval: float

    def acquire(self, *, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take the lock; wait up to ``timeout`` seconds (forever if None) when ``blocking``.

        Returns True if this object now holds the lock (also if it already did).
        """
        if self.is_held():
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._try_acquire():
            if not blocking:
                return False
            wait = self.poll_interval
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                wait = min(wait, remaining)
            time.sleep(wait)
        return True

    @abstractmethod
    def _try_acquire(self) -> bool:
        """One attempt, without waiting: True if this object now holds the lock."""

    @abstractmethod
    def is_held(self) -> bool:
        """True while this object believes it holds the lock (no I/O)."""

    def keep_alive(self) -> bool:
        """Check with the backend that the lock is still ours; False if it was lost.

        Called before every sweep and periodically: a holder that lost its lock stops.
        """
        return self.is_held()

    @abstractmethod
    def release(self) -> None:
        """Give the lock up (no-op if not held)."""

    @abstractmethod
    def holder(self) -> LockHolder | None:
        """Who holds the lock, if anyone does and the backend can tell."""

    @abstractmethod
    def describe(self) -> str:
        """Where the lock lives, for people."""

    def __enter__(self) -> LeaderLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
