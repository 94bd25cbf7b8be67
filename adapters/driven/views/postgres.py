"""PostgreSQL for the views: all views in one schema, a connection pool, portable SQL.

Queries are written with ``?`` placeholders (the SQLite style); the store's cursors turn
them into psycopg's ``%s`` (``adapters.driven.sql.postgres``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg import Connection, IsolationLevel, sql
from psycopg_pool import ConnectionPool

from adapters.driven.sql.postgres import QmarkCursor
from projections.store import Cursor, ViewStore


class PostgresViewStore(ViewStore):
    """Views as tables in one PostgreSQL schema, shared by every process."""

    LOCK_ROW = "FOR UPDATE"

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str = "public",
        pool_size: int = 5,
        lock_timeout: int = 5,
        pool: ConnectionPool | None = None,
    ) -> None:
        self.schema = schema
        self.lock_timeout = lock_timeout
        self._own_pool = pool is None
        self.pool = pool or ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            open=True,
            configure=self._configure,
            kwargs={"autocommit": False},
            name=f"caretrail-views-{schema}",
        )

    def _configure(self, conn: Connection[Any]) -> None:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        # Never wait forever on a lock (the library's default is 0 = forever).
        conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{self.lock_timeout}s")))
        conn.commit()

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield QmarkCursor(cur)

    @contextmanager
    def reader(self) -> Iterator[Cursor]:
        with self.pool.connection() as conn:
            # One snapshot for every statement of the read, and nothing written by accident;
            # set on the connection, psycopg puts both in its BEGIN (no extra round trip).
            conn.isolation_level = IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield QmarkCursor(cur)
            finally:
                conn.isolation_level = None
                conn.read_only = None

    def drop_tables(self, tables: Sequence[str]) -> None:
        with self.transaction() as cur:
            for table in tables:
                cur.execute(f"DROP TABLE IF EXISTS {table}")

    def close(self) -> None:
        if self._own_pool:
            self.pool.close()
