"""The auth store on PostgreSQL: the same tables in the deployment's schema, a pool."""

from __future__ import annotations

from typing import ClassVar

import psycopg

from adapters.driven.auth.sql import SQLAuthStore
from adapters.driven.sql.postgres import SchemaPool


class PostgresAuthStore(SchemaPool, SQLAuthStore):
    """The auth tables (users, tokens, people's sessions...) shared by every API worker."""

    TYPES: ClassVar[dict[str, str]] = {
        "serial": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "blob": "BYTEA",
    }
    LOCK_ROW: ClassVar[str] = "FOR UPDATE"
    integrity_errors = (psycopg.errors.UniqueViolation,)

    def __init__(
        self, conninfo: str, *, schema: str = "public", pool_size: int = 5, lock_timeout: int = 5
    ) -> None:
        super().__init__(conninfo, schema=schema, lock_timeout=lock_timeout, name="caretrail-auth",
                         min_size=1, max_size=pool_size)
