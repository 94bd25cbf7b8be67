"""A bound on concurrent heavy reads (history exports), per user and overall.

An export reads a whole case history and writes it out while the client downloads it: a
few at once are fine, dozens at once starve every other request of the process. A slot
is taken before the read starts and given back when the last line is sent (or the
client goes away); beyond either bound the request is refused at once with 429 and
``Retry-After``, nothing read and nothing logged as accessed.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from adapters.driving.api.deps import authenticated
from adapters.driving.api.errors import TooManyHeavyReads


class HeavyReads:
    """Counts the heavy reads in progress in this process, per user and in all."""

    def __init__(self, *, per_user: int, total: int) -> None:
        self.per_user = per_user
        self.total = total
        self._lock = threading.Lock()
        self._running: Counter[str] = Counter()

    def take(self, user_id: str) -> Slot:
        """A slot for one heavy read of ``user_id``; :class:`TooManyHeavyReads` if none is free."""
        with self._lock:
            if self._running[user_id] >= self.per_user:
                raise TooManyHeavyReads(
                    f"at most {self.per_user} exports per person at a time: retry when one is done")
            if sum(self._running.values()) >= self.total:
                raise TooManyHeavyReads(
                    f"at most {self.total} exports at a time on this server: retry shortly")
            self._running[user_id] += 1
        return Slot(self, user_id)

    def running(self, user_id: str | None = None) -> int:
        """Heavy reads in progress (of one user, or of everyone)."""
        with self._lock:
            return self._running[user_id] if user_id else sum(self._running.values())

    def give_back(self, user_id: str) -> None:
        """End one heavy read of ``user_id`` (through its :class:`Slot`)."""
        with self._lock:
            self._running[user_id] -= 1
            if self._running[user_id] <= 0:
                del self._running[user_id]


class Slot:
    """One taken slot; :meth:`release` gives it back (once, however often called)."""

    def __init__(self, owner: HeavyReads, user_id: str) -> None:
        self._owner, self._user_id, self._held = owner, user_id, True

    def release(self) -> None:
        """Give the slot back."""
        if self._held:
            self._held = False
            self._owner.give_back(self._user_id)



class StreamingWithSlot(StreamingResponse):
    """A streamed response that gives its slot back once sent, failed or abandoned."""

    def __init__(self, content: Iterable[str], slot: Slot, **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the response, then free the slot whatever happened."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()


async def heavy_slot(request: Request) -> AsyncIterator[Slot]:
    """A slot for the caller's heavy read (declare it after the permission, before the
    access log); given back here if the request fails before its response is sent."""
    slot = request.app.state.heavy_reads.take(authenticated(request).user_id)
    try:
        yield slot
    except BaseException:
        slot.release()
        raise


HeavySlot = Annotated[Slot, Depends(heavy_slot)]
