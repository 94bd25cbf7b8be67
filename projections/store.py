"""The port a view is stored behind: transactions, a tracking position, a SQL dialect.

Projections and queries write portable SQL with ``?`` placeholders; a store for a
database whose driver wants another style converts them. Drivers live in ``adapters``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID


class Cursor(Protocol):
    """The part of a DB-API cursor views use."""

    rowcount: int

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class StaleTracking(Exception):  # a signal between runners
    """Raised when another runner advanced a view first; the batch is rolled back."""


class ViewStore(ABC):
    """Where one view lives: its tables and its tracking row, in one database."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Cursor]:
        """A write transaction: committed on success, rolled back on any exception."""

    @abstractmethod
    def reader(self) -> AbstractContextManager[Cursor]:
        """A cursor for queries (read-only use)."""

    def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one read-only statement (one statement reads one snapshot by itself;
        a read of several statements that must agree uses :meth:`reader`)."""
        with self.reader() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    @abstractmethod
    def drop_tables(self, tables: Sequence[str]) -> None:
        """Drop the given tables (rebuild)."""

    def close(self) -> None:  # noqa: B027 - optional for drivers
        """Release connections."""

    def change_token(self) -> Hashable | None:
        """A value equal between two calls of one thread only if no transaction changed
        this store's tables in between, from any connection or process; None where the
        database cannot tell that cheaply (then nothing read from it is cached)."""
        return None

    def adapt_ddl(self, statement: str) -> str:
        """A view's portable DDL in this database's dialect (unchanged by default)."""
        return statement

    # The tracking row is the same everywhere: one row per view name.
    TRACKING_DDL = (
        "CREATE TABLE IF NOT EXISTS view_tracking ("
        "name TEXT PRIMARY KEY, position BIGINT NOT NULL, updated_at TEXT NOT NULL)"
    )

    def position(self, name: str) -> tuple[int, str | None]:
        """The last notification id applied to view ``name``, and when."""
        with self.reader() as cur:
            cur.execute("SELECT position, updated_at FROM view_tracking WHERE name = ?", (name,))
            row = cur.fetchone()
        return (int(row[0]), row[1]) if row else (0, None)

    #: How :meth:`claim` locks the tracking row ("FOR UPDATE" where the database has it).
    LOCK_ROW = ""

    def claim(self, cur: Cursor, name: str, start: int) -> None:
        """First statement of a batch: lock the view's tracking row and check it is at ``start``.

        Another runner that moved the view on makes this batch stale before any row is
        written (rather than failing later on a duplicate key).
        """
        cur.execute(f"SELECT position FROM view_tracking WHERE name = ? {self.LOCK_ROW}", (name,))
        row = cur.fetchone()
        if row is None or int(row[0]) != start:
            raise StaleTracking(f"view {name} is no longer at position {start}")

    @staticmethod
    def advance(cur: Cursor, name: str, start: int, end: int) -> None:
        """Move the tracking position from ``start`` to ``end`` in the current transaction.

        The compare-and-set is what makes a batch apply exactly once: if any other
        runner moved the position, nothing matches and the whole batch rolls back.
        """
        now = iso(datetime.now(UTC))
        cur.execute(
            "UPDATE view_tracking SET position = ?, updated_at = ? WHERE name = ? AND position = ?",
            (end, now, name, start),
        )
        if cur.rowcount != 1:
            raise StaleTracking(f"view {name} is no longer at position {start}")

    def ensure_tracking(self, cur: Cursor, name: str) -> None:
        """Create the tracking row of a view at position 0 if missing."""
        cur.execute(self.TRACKING_DDL)
        cur.execute("SELECT 1 FROM view_tracking WHERE name = ?", (name,))
        if cur.fetchone() is None:
            cur.execute(
                "INSERT INTO view_tracking (name, position, updated_at) VALUES (?, 0, ?)",
                (name, iso(datetime.now(UTC))),
            )

    def reset_tracking(self, cur: Cursor, name: str) -> None:
        """Back to position 0 (rebuild)."""
        cur.execute(self.TRACKING_DDL)
        cur.execute("DELETE FROM view_tracking WHERE name = ?", (name,))
        self.ensure_tracking(cur, name)


#: Recently formatted moments: the events of one command share their times, and every
#: view formats the same ones, so most calls are a dictionary hit, much cheaper than
#: formatting (docs/performance.md, read models).
_ISO_CACHE: dict[datetime, str] = {}
_ISO_CACHE_SIZE = 65_536


def iso(moment: datetime | None) -> str | None:
    """UTC ISO text with a fixed width, so text order is time order in every database."""
    if moment is None:
        return None
    text = _ISO_CACHE.get(moment)  # equal aware datetimes are the same instant: same text
    if text is None:
        if len(_ISO_CACHE) >= _ISO_CACHE_SIZE:
            _ISO_CACHE.clear()
        text = _ISO_CACHE[moment] = _utc_text(moment)
    return text


def _utc_text(moment: datetime) -> str:
    """The fixed-width UTC text of ``moment``; the first or last representable instant for a
    moment whose UTC date is outside years 1-9999 (a year 1 date east of Greenwich), so
    that no stored event and no query bound can stop a view or a list on formatting."""
    try:
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    except OverflowError:
        edge = datetime.min.replace(tzinfo=UTC) if moment.year == 1 else datetime.max.replace(tzinfo=UTC)
        return edge.isoformat(timespec="microseconds")


def iso_once(moment: datetime | None) -> str | None:
    """:func:`iso` without the cache, for moments that do not recur: a query's ``now`` and
    the bounds computed from it would each take a cache entry nobody reads again (and,
    under API load, push out the entries the views reuse)."""
    if moment is None:
        return None
    return _utc_text(moment)


_TEXT_CACHE: dict[int, str] = {}


def uuid_text(value: UUID) -> str:
    """``str(value)``, remembered: the same case and task ids recur all through a batch.

    Keyed by the UUID's integer (a C-level hash), far cheaper than formatting the id
    (docs/performance.md, read models).
    """
    number = value.int
    text = _TEXT_CACHE.get(number)
    if text is None:
        if len(_TEXT_CACHE) >= _ISO_CACHE_SIZE:
            _TEXT_CACHE.clear()
        text = _TEXT_CACHE[number] = str(value)
    return text


def from_iso(text: str | None) -> datetime | None:
    """Inverse of :func:`iso`."""
    return datetime.fromisoformat(text) if text else None


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Split ``items`` for ``IN (...)`` lists that stay under parameter limits."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
