"""Reads of a case's history: whole, as of a time, streamed, in pages.

A mixin of :class:`workflows.services.CaseService` (the case application), kept apart so
each module stays readable.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from domain.case import Case
from domain.case_events import CaseEvent
from domain.errors import CaseNotFound

if TYPE_CHECKING:
    from eventsourcing.persistence import EventStore

    from workflows.histories import Histories


class CaseReads:
    """The history reads of the case application."""

    if TYPE_CHECKING:
        events: EventStore[UUID]
        histories: Histories

        def get_case(self, case_id: UUID, version: int | None = None) -> Case: ...

    def case_as_of(self, case_id: UUID, as_of: datetime) -> Case:
        """The case as the system knew it at ``as_of`` (by recorded time)."""
        version = 0
        for event in self.events.get(case_id):
            if event.timestamp > as_of:  # type: ignore[attr-defined]
                break
            version = event.originator_version
        if version == 0:
            raise CaseNotFound(case_id)
        return self.get_case(case_id, version=version)

    def history(self, case_id: UUID) -> list[CaseEvent]:
        """Every event of the case, in order (:class:`CaseNotFound` if there is none).

        The events read are kept (:attr:`histories`, the cases read lately): the next read
        of the case reads and decodes only the events after the last one kept.
        """
        kept = self.histories.get(case_id)
        newer: list[CaseEvent] = list(self.events.get(  # type: ignore[arg-type]
            case_id, gt=kept[-1].originator_version if kept else None))
        if not kept and (not newer or not isinstance(newer[0], Case.Identified)):
            raise CaseNotFound(case_id)
        if kept and any(isinstance(e, Case.Erased) for e in newer):
            # Erased by another process since: what is kept was decrypted, read it again.
            self.histories.invalidate(case_id)
            return self.history(case_id)
        return list(self.histories.extend(case_id, kept, newer))

    def stream_history(self, case_id: UUID, *, page_size: int = 500) -> Iterator[CaseEvent]:
        """Every event of the case in order, read ``page_size`` at a time, so that a long
        history is never held in memory whole. :class:`CaseNotFound` is raised here, before
        any event is yielded."""
        first: list[CaseEvent] = list(self.events.get(case_id, limit=page_size))  # type: ignore[arg-type]
        if not first or not isinstance(first[0], Case.Identified):
            raise CaseNotFound(case_id)
        return self._pages(case_id, first, page_size)

    def history_page(self, case_id: UUID, *, after: int, limit: int) -> list[CaseEvent]:
        """At most ``limit`` events of the case after version ``after`` (an indexed read)."""
        return list(self.events.get(case_id, gt=after or None, limit=limit))  # type: ignore[arg-type]

    def _pages(self, case_id: UUID, page: list[CaseEvent], page_size: int) -> Iterator[CaseEvent]:
        while page:
            yield from page
            if len(page) < page_size:
                return
            page = list(self.events.get(  # type: ignore[arg-type]
                case_id, gt=page[-1].originator_version, limit=page_size))
