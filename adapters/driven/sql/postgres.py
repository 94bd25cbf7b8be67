"""PostgreSQL connections as the stores use them: portable SQL with ``?`` placeholders.

The view stores and the auth store write their statements once, in the SQLite style;
:class:`QmarkCursor` turns them into psycopg's ``%s`` once per distinct statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

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


class SchemaPool:
    """A store's connection pool in the deployment's schema, with its lock timeout: the
    ``_write`` transactions and ``_query`` reads of the auth store and the key store."""

    def __init__(
        self, conninfo: str, *, schema: str, lock_timeout: int, name: str, min_size: int, max_size: int
    ) -> None:
        self.schema = schema
        self.lock_timeout = lock_timeout
        self.pool = ConnectionPool(
            conninfo, min_size=min_size, max_size=max_size, open=True, configure=self._configure,
            kwargs={"autocommit": False}, name=f"{name}-{schema}",
        )

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{self.lock_timeout}s")))
        conn.commit()

    @contextmanager
    def _write(self) -> Iterator[QmarkCursor]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield QmarkCursor(cur)

    def _query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(to_psycopg(statement), params or None)
            return list(cur.fetchall())

    def close(self) -> None:
        self.pool.close()
