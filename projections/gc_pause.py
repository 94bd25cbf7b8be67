"""The cyclic garbage collector kept off while the runner holds a batch of decoded events."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_guard = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off while a batch is in flight.

    A batch holds thousands of decoded events until it is written; each collection
    promotes them, and the full collections that follow rescan every cached row. That
    took much of a rebuild's time (docs/performance.md, read models). The events are
    freed by reference counting when the batch ends, so pausing leaves nothing behind.
    Nested and concurrent pauses are counted; the collector is re-enabled (if it was on)
    when the last one ends.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_guard:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_guard:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()
