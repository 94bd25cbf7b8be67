"""The port of the key store, and the SQL both backends share.

One row per case: its data key wrapped (AES-GCM) by the master key, or, once the case is
erased, no key and the time it was destroyed (a tombstone: the case stays known as
erased, and no key can be made for it again). The events never hold a key; the keys
never hold personal data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from projections.store import Cursor


@dataclass(frozen=True)
class KeyRow:
    """A case's row: its wrapped key (None once destroyed) and when it was destroyed."""

    case_id: UUID
    wrapped: bytes | None
    destroyed_at: str | None


class KeyStore(ABC):
    """Where the wrapped case keys live (``keys.sqlite``, or a table in PostgreSQL)."""

    BLOB: ClassVar[str] = "BLOB"
    #: An insert that keeps the row already there (two processes identifying one child).
    INSERT_NEW: ClassVar[str] = (
        "INSERT INTO case_keys (case_id, wrapped, destroyed_at) VALUES (?, ?, NULL) "
        "ON CONFLICT (case_id) DO NOTHING"
    )

    @abstractmethod
    def _write(self) -> AbstractContextManager[Cursor]:
        """A cursor in a write transaction (committed on success)."""

    @abstractmethod
    def _query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one read-only statement."""

    def setup(self) -> None:
        """Create the table if missing (idempotent)."""
        with self._write() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS case_keys (case_id TEXT PRIMARY KEY, "
                f"wrapped {self.BLOB}, destroyed_at TEXT)"
            )

    def get(self, case_id: UUID) -> KeyRow | None:
        """The case's row (one indexed read), or None if it never had a key."""
        rows = self._query(
            "SELECT wrapped, destroyed_at FROM case_keys WHERE case_id = ?", (str(case_id),)
        )
        if not rows:
            return None
        wrapped = rows[0][0]
        return KeyRow(case_id, bytes(wrapped) if wrapped is not None else None, rows[0][1])

    def add(self, case_id: UUID, wrapped: bytes) -> bool:
        """Keep a new case's wrapped key, unless the case has a row already (False)."""
        with self._write() as cur:
            cur.execute(self.INSERT_NEW, (str(case_id), wrapped))
            return cur.rowcount == 1

    def destroy(self, case_id: UUID, at: str) -> bool:
        """Destroy the case's key, leaving its tombstone; False if it had none to destroy."""
        with self._write() as cur:
            cur.execute(
                "UPDATE case_keys SET wrapped = NULL, destroyed_at = ? "
                "WHERE case_id = ? AND wrapped IS NOT NULL", (at, str(case_id)),
            )
            if cur.rowcount:
                return True
            # A case with no row (its events written before keys existed): a tombstone.
            cur.execute(
                "INSERT INTO case_keys (case_id, wrapped, destroyed_at) VALUES (?, NULL, ?) "
                "ON CONFLICT (case_id) DO NOTHING", (str(case_id), at),
            )
            return False

    def rows(self, batch_size: int = 1000) -> Iterator[KeyRow]:
        """Every row, in case id order (a copy of the store)."""
        after = ""
        while True:
            found = self._query(
                "SELECT case_id, wrapped, destroyed_at FROM case_keys WHERE case_id > ? "
                "ORDER BY case_id LIMIT ?", (after, batch_size),
            )
            for case_id, wrapped, destroyed_at in found:
                yield KeyRow(UUID(case_id), bytes(wrapped) if wrapped is not None else None,
                             destroyed_at)
            if len(found) < batch_size:
                return
            after = found[-1][0]

    def put_rows(self, rows: Sequence[KeyRow]) -> None:
        """Keep copied rows as they are (a tombstone overrides a key: erasure wins)."""
        with self._write() as cur:
            for row in rows:
                cur.execute(
                    "INSERT INTO case_keys (case_id, wrapped, destroyed_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (case_id) DO NOTHING",
                    (str(row.case_id), row.wrapped, row.destroyed_at),
                )
                if row.wrapped is None:
                    cur.execute(
                        "UPDATE case_keys SET wrapped = NULL, destroyed_at = ? WHERE case_id = ?",
                        (row.destroyed_at, str(row.case_id)),
                    )

    def close(self) -> None:  # noqa: B027 - optional for drivers
        """Release connections."""
