"""The key store as a table of the deployment's PostgreSQL schema (``case_keys``).

Keep it apart from the events in backups all the same: docs/privacy.md.
"""

from __future__ import annotations

from typing import ClassVar

from adapters.driven.keys.port import KeyStore
from adapters.driven.sql.postgres import SchemaPool


class PostgresKeyStore(SchemaPool, KeyStore):
    """Wrapped case keys in the deployment's schema, one small pool per process (it opens
    no connection ahead of need)."""

    BLOB: ClassVar[str] = "BYTEA"

    def __init__(self, conninfo: str, *, schema: str = "public", lock_timeout: int = 5) -> None:
        super().__init__(conninfo, schema=schema, lock_timeout=lock_timeout, name="caretrail-keys",
                         min_size=0, max_size=2)
