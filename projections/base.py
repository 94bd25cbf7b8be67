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

    ``apply`` (once per part of a batch) and ``flush`` (once per batch) run inside the
    store's transaction, together with the tracking update, so a batch is applied
    completely and exactly once, or not at all. A projection may keep in-memory state
    between batches (caches of rows it wrote); the runner calls :meth:`reset` whenever
    that state may no longer match the tables, and after a batch that rolled back.
    """

    name: str
    tables: tuple[str, ...]
    #: What this view's own work costs per event beside the others' (folding, writing,
    #: indexing; reading the log not included), measured: a parallel rebuild shares the
    #: views between processes by it.
    rebuild_cost: float = 1.0

    @abstractmethod
    def schema(self) -> list[str]:
        """DDL for the tables (idempotent: IF NOT EXISTS)."""

    def indexes(self) -> list[str]:
        """DDL for the secondary indexes (idempotent), built after the rows on a rebuild."""
        return []

    @abstractmethod
    def apply(self, cur: Cursor, batch: Batch) -> None:
        """Apply events (a batch, or one part of it) to the view's tables or memory."""

    def flush(self, cur: Cursor) -> None:  # noqa: B027 - a view may write as it applies
        """Write what :meth:`apply` kept in memory: called once per batch, after its last
        ``apply`` and before the position advances, in the same transaction. A batch may
        be applied in several parts (see :attr:`ViewRunner.read_size`), so a view
        that folds rows in memory writes each changed row once per batch."""

    def reset(self) -> None:  # noqa: B027 - most projections keep no memory
        """Forget in-memory state (after a rebuild, a rolled-back batch, another runner's write)."""
