"""The leader lock of a SQLite deployment: an exclusive ``flock`` on a file beside its files."""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from adapters.driven.files import FILE_MODE, private_dir
from adapters.driven.locks.port import LeaderLock, LockHolder


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
        private_dir(self.path.parent)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
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

    def holder(self) -> LockHolder | None:
        """The holder the file names (stale after a crash until the next holder)."""
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text) if text else None
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        pid, host, since = data.get("pid"), data.get("host"), data.get("since")
        try:
            moment = datetime.fromisoformat(since) if isinstance(since, str) else None
        except ValueError:
            moment = None
        return LockHolder(
            host=host if isinstance(host, str) else None,
            pid=pid if isinstance(pid, int) else None,
            since=moment,
        )

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
