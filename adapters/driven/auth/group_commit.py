"""Access-log entries of concurrent requests written in one transaction (a group commit).

Every page that shows a child writes who read it before it answers, and each write is a
commit the disk must make durable. Requests arriving while a commit is under way queue
their entries; the first of them, once that commit is done, writes everything queued in
one transaction. Each caller returns only once its own entries are committed (or raises
what the write raised), so nothing is answered unrecorded: the commit is shared, not
skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """Calls ``write(items)`` for the items of all callers waiting, one call at a time."""

    def __init__(self, write: Callable[[Sequence[T]], None]) -> None:
        self._write = write
        self._changed = threading.Condition()
        self._queued: list[T] = []
        self._writing = False
        self._started = 0  # batches begun
        self._finished = 0  # batches ended, committed or not
        self._errors: dict[int, BaseException] = {}

    @property
    def queued(self) -> int:
        """How many items wait for the next commit."""
        with self._changed:
            return len(self._queued)

    def record(self, items: Sequence[T]) -> None:
        """Write ``items`` with whatever else is queued; return once they are committed."""
        if not items:
            return
        with self._changed:
            self._queued.extend(items)
            mine = self._started + 1  # the next batch to begin takes what is queued now
            while self._writing and self._finished < mine:
                self._changed.wait()
            if self._finished >= mine:  # another caller wrote them
                error = self._errors.get(mine)
                if error is not None:
                    raise error
                return
            self._writing = True
            self._started = mine
            batch, self._queued = self._queued, []
        error = None
        try:
            self._write(batch)
        except BaseException as e:
            error = e
        with self._changed:
            self._writing = False
            self._finished = mine
            self._errors.pop(mine - 100, None)  # late readers of an old failure: long gone
            if error is not None:
                self._errors[mine] = error
            self._changed.notify_all()
        if error is not None:
            raise error
