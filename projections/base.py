"""What a projection is: a named view with its tables, fed batches of events."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from projections.store import Cursor

#: (notification id, decoded event) in log order.
Batch = Sequence[tuple[int, Any]]


class Projection(ABC):
    """A read model: its tables, and how a batch of events changes them.

    ``apply`` runs inside the store's transaction, together with the tracking update,
    so a batch is applied completely and exactly once, or not at all.
    """

    name: str
    tables: tuple[str, ...]

    @abstractmethod
    def schema(self) -> list[str]:
        """DDL for the tables and indexes (idempotent: IF NOT EXISTS)."""

    @abstractmethod
    def apply(self, cur: Cursor, batch: Batch) -> None:
        """Apply a batch of events to the view's tables."""

    def reset(self) -> None:  # noqa: B027 - most projections keep no memory
        """Forget in-memory caches (after a rebuild or a rolled-back batch)."""
