"""The key store as a table of the deployment's PostgreSQL schema (``case_keys``).

Keep it apart from the events in backups all the same: docs/privacy.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from adapters.driven.keys.port import KeyStore
from adapters.driven.sql.postgres import QmarkCursor, to_psycopg
from projections.store import Cursor


class PostgresKeyStore(KeyStore):
    """Wrapped case keys in the deployment's schema, one small pool per process."""

    BLOB: ClassVar[str] = "BYTEA"

    def __init__(self, conninfo: str, *, schema: str = "public", lock_timeout: int = 5) -> None:
        self.schema = schema
        self.lock_timeout = lock_timeout
        self.pool = ConnectionPool(
            conninfo, min_size=0, max_size=2, open=True, configure=self._configure,
            kwargs={"autocommit": False}, name=f"caretrail-keys-{schema}",
        )

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{self.lock_timeout}s")))
        conn.commit()

    @contextmanager
    def _write(self) -> Iterator[Cursor]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield QmarkCursor(cur)

    def _query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(to_psycopg(statement), params or None)
            return list(cur.fetchall())

    def close(self) -> None:
        self.pool.close()
