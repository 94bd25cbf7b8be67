"""PostgreSQL connections as the stores use them: portable SQL with ``?`` placeholders.

The view stores and the auth store write their statements once, in the SQLite style;
:class:`QmarkCursor` turns them into psycopg's ``%s`` once per distinct statement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import sql

_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=512)
def to_psycopg(statement: str) -> str:
    """``?`` placeholders to ``%s`` (and literal ``%`` escaped)."""
    return _PLACEHOLDER.sub("%s", statement.replace("%", "%%"))


class QmarkCursor:
    """A psycopg cursor taking ``?`` placeholders (the views' and the auth store's dialect)."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(to_psycopg(statement), params or None)

    def executemany(self, statement: str, seq: Sequence[Sequence[Any]]) -> Any:
        return self._cursor.executemany(to_psycopg(statement), seq)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())


def create_schema(conninfo: str, schema: str) -> None:
    """Create a deployment's schema if it does not exist (``caretrail migrate``)."""
    with psycopg.connect(conninfo, connect_timeout=5, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def has_tables(conninfo: str, schema: str, tables: Sequence[str]) -> bool:
    """Whether every one of ``tables`` exists in ``schema``."""
    with psycopg.connect(conninfo, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT " + ", ".join("to_regclass(%s)" for _ in tables),
            [f'"{schema}".{table}' for table in tables],
        ).fetchone()
    return row is not None and None not in row
