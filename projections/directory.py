"""Which school and class a case belongs to, as a view remembers it.

Follow-up and audit rows carry the school of their case, but only the case's first
event says which school that is. Each view keeps its own small table of it (views live
in separate databases), written in the view's transaction and cached in memory.
"""

from __future__ import annotations

from collections.abc import Iterable

from projections.store import Cursor, chunks

#: What a view knows of a case it never saw identified.
UNKNOWN: tuple[str | None, str | None] = (None, None)


class CaseDirectory:
    """case id -> (school, class) in table ``table``, cached in memory.

    The school never changes; the class does (an amendment, the year's roll-over), and
    :meth:`move` writes it through the cache. After a rebuild :meth:`reset` is called.
    """

    def __init__(self, table: str, maxsize: int = 500_000) -> None:
        self.table = table
        self.maxsize = maxsize
        self._cache: dict[str, tuple[str | None, str | None]] = {}
        self._pending: list[tuple[str, str, str | None]] = []
        self._moved: dict[str, str] = {}

    def ddl(self) -> str:
        """The table's DDL."""
        return (
            f"CREATE TABLE IF NOT EXISTS {self.table} ("
            "case_id TEXT PRIMARY KEY, school_id TEXT NOT NULL, class_name TEXT)"
        )

    def add(self, case_id: str, school_id: str, class_name: str | None) -> None:
        """Remember a newly identified case (written by :meth:`flush`)."""
        self._pending.append((case_id, school_id, class_name))
        self._remember(case_id, (school_id, class_name))

    def flush(self, cur: Cursor) -> None:
        """Write the cases added since the last flush (call it at the end of every batch)."""
        if self._pending:
            cur.executemany(
                f"INSERT INTO {self.table} (case_id, school_id, class_name) VALUES (?, ?, ?)",
                self._pending,
            )
            self._pending = []
        if self._moved:
            cur.executemany(
                f"UPDATE {self.table} SET class_name = ? WHERE case_id = ?",
                [(class_name, case_id) for case_id, class_name in self._moved.items()],
            )
            self._moved = {}

    def move(self, cur: Cursor, case_id: str, class_name: str) -> None:
        """The case's child is in another class from now on (written by :meth:`flush`)."""
        school_id, _ = self.get(cur, case_id)
        self._moved[case_id] = class_name
        self._remember(case_id, (school_id, class_name))

    def prefetch(self, cur: Cursor, case_ids: Iterable[str]) -> None:
        """Load the uncached cases of a batch with a few queries instead of one each."""
        missing = [c for c in set(case_ids) if c not in self._cache]
        for part in chunks(missing, 500):
            cur.execute(
                f"SELECT case_id, school_id, class_name FROM {self.table} "
                f"WHERE case_id IN ({', '.join('?' for _ in part)})",
                part,
            )
            for case_id, school_id, class_name in cur.fetchall():
                self._remember(case_id, (school_id, class_name))

    def get(self, cur: Cursor, case_id: str) -> tuple[str | None, str | None]:
        """(school, class) of a case, or :data:`UNKNOWN`."""
        found = self._cache.get(case_id)
        if found is None:
            cur.execute(
                f"SELECT school_id, class_name FROM {self.table} WHERE case_id = ?", (case_id,)
            )
            row = cur.fetchone()
            if row is None:
                return UNKNOWN
            found = (row[0], row[1])
            self._remember(case_id, found)
        return found

    def _remember(self, case_id: str, value: tuple[str | None, str | None]) -> None:
        if len(self._cache) >= self.maxsize:
            self._cache.clear()  # simpler than LRU, and a county fits many times over
        self._cache[case_id] = value

    def reset(self) -> None:
        """Forget the cache and anything not yet written."""
        self._cache.clear()
        self._pending = []
        self._moved = {}
