"""The leader lock: only its holder sweeps a store. A port, and a file lock for SQLite.

Correctness never depends on the lock (escalation commands are idempotent and the case
re-checks itself); the lock keeps a second scheduler from doing the same work twice
and from sending the same notice twice. A PostgreSQL implementation (a session
advisory lock) fits the same port: ``acquire`` polls ``pg_try_advisory_lock`` until the
timeout, ``keep_alive`` checks the session still holds it (a dropped connection loses
the lock), ``release`` unlocks and closes the connection.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from adapters.settings import Settings


class LockError(Exception):
    """Raised when no leader lock can be made for a store."""


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

    def holder(self) -> dict[str, Any] | None:
        """Who holds the lock (pid, host, since), if the backend can tell."""
        return None

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


class FileLeaderLock(LeaderLock):
    """An exclusive ``flock`` on a file next to the SQLite files.

    The kernel drops the lock when the holding process dies, even by SIGKILL, so a
    waiting scheduler takes over. The file holds the holder's pid, host and start time.
    The file is never deleted: a deleted and recreated lock file could be locked twice,
    which is why :meth:`keep_alive` checks the locked file is still the one at ``path``.
    """

    def __init__(self, path: Path, *, poll_interval: float = 0.1) -> None:
        self.path = path
        self.poll_interval = poll_interval
        self._fd: int | None = None

    def _try_acquire(self) -> bool:
        """Try the flock once (again at once if the file was replaced while we locked it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            if _same_file(fd, self.path):
                self._fd = fd
                self._write_holder()
                return True
            os.close(fd)  # replaced while we locked it: lock the new file instead

    def is_held(self) -> bool:
        """True while the flock is held by this object."""
        return self._fd is not None

    def keep_alive(self) -> bool:
        """True while we hold the flock on the file that is still at ``path``."""
        return self._fd is not None and _same_file(self._fd, self.path)

    def release(self) -> None:
        """Clear the holder record and drop the flock."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def holder(self) -> dict[str, Any] | None:
        """The holder record (pid, host, since); stale after a crash until the next holder."""
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def describe(self) -> str:
        """The lock file's path."""
        return f"file lock {self.path}"

    def _write_holder(self) -> None:
        assert self._fd is not None
        record = json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        })
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, (record + "\n").encode(), 0)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def lock_for(settings: Settings) -> LeaderLock:
    """The leader lock of the configured store."""
    if settings.is_postgres:
        from adapters.scheduler.pg_lock import PostgresLeaderLock

        assert settings.database_url is not None
        return PostgresLeaderLock(settings.database_url, settings.postgres_schema or "public")
    return FileLeaderLock(settings.sqlite_dir / "scheduler.lock")
