"""The auth store on PostgreSQL: the same tables in the deployment's schema, a pool."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from adapters.driven.auth.sql import SQLAuthStore
from adapters.driven.sql.postgres import to_psycopg
from adapters.driven.views.postgres import QmarkCursor
from projections.store import Cursor


class PostgresAuthStore(SQLAuthStore):
    """The auth tables (users, tokens, people's sessions...) shared by every API worker."""

    TYPES: ClassVar[dict[str, str]] = {
        "serial": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "blob": "BYTEA",
    }
    LOCK_ROW: ClassVar[str] = "FOR UPDATE"
    integrity_errors = (psycopg.errors.UniqueViolation,)

    def __init__(
        self, conninfo: str, *, schema: str = "public", pool_size: int = 5, lock_timeout: int = 5
    ) -> None:
        self.schema = schema
        self.lock_timeout = lock_timeout
        self.pool = ConnectionPool(
            conninfo, min_size=1, max_size=pool_size, open=True, configure=self._configure,
            kwargs={"autocommit": False}, name=f"caretrail-auth-{schema}",
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
