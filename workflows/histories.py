"""Cases' decoded events kept between reads: a bounded, least-recently-used memory.

An event never changes once written, so a case's history read once only needs the events
after the last version kept: a case page reads and decodes its new events alone, not the
whole history each time. What is kept is what the aggregate cache keeps (a case's data in
memory, bounded); :meth:`Histories.invalidate` drops a case's (erasure).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from uuid import UUID

from domain.case_events import CaseEvent


class Histories:
    """The events of at most ``maxsize`` cases, the least recently read dropped first.

    Safe to share between threads: two reads extending the same case at once each return a
    whole history, and the longer one is kept.
    """

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._kept: OrderedDict[UUID, tuple[CaseEvent, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, case_id: UUID) -> tuple[CaseEvent, ...]:
        """The events kept of a case, in order (empty: none kept)."""
        with self._lock:
            kept = self._kept.get(case_id, ())
            if kept:
                self._kept.move_to_end(case_id)
            return kept

    def extend(
        self, case_id: UUID, kept: tuple[CaseEvent, ...], newer: list[CaseEvent]
    ) -> tuple[CaseEvent, ...]:
        """``kept`` (what :meth:`get` gave) followed by ``newer`` (the events after its
        last version, in order), kept for the next read and returned."""
        if newer and newer[0].originator_version != (kept[-1].originator_version + 1 if kept else 1):
            raise ValueError(f"events of case {case_id} do not follow version "
                             f"{kept[-1].originator_version if kept else 0}")
        events = kept + tuple(newer)
        if not events:
            return events
        with self._lock:
            if len(self._kept.get(case_id, ())) <= len(events):
                self._kept[case_id] = events
            self._kept.move_to_end(case_id)
            while len(self._kept) > self.maxsize:
                self._kept.popitem(last=False)
        return events

    def invalidate(self, case_id: UUID) -> None:
        """Forget a case's events (the next read reads them all from the store again)."""
        with self._lock:
            self._kept.pop(case_id, None)

    def clear(self) -> None:
        """Forget every case's events."""
        with self._lock:
            self._kept.clear()
