"""The event store's configuration: eventsourcing's environment from caretrail's settings."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from adapters.driven.files import private_file
from adapters.settings import Settings

MAPPER_TOPIC = "adapters.driven.events.mapper:PydanticMapper"


class StoreNotMigrated(Exception):
    """Raised when a PostgreSQL store has no tables yet: ``caretrail migrate`` creates them."""


def event_store_env(settings: Settings, *, create_tables: bool = True) -> dict[str, str]:
    """The eventsourcing environment of the case application for these settings."""
    env = {
        "MAPPER_TOPIC": MAPPER_TOPIC,
        "IS_SNAPSHOTTING_ENABLED": "y" if settings.snapshot_interval else "n",
        "CREATE_TABLE": "y" if create_tables else "n",
    }
    if settings.aggregate_cache_size > 0:
        # eventsourcing reads "0" as an unbounded cache: leave the key out for no cache.
        env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.aggregate_cache_size)
    if settings.compress_events:
        env["COMPRESSOR_TOPIC"] = "eventsourcing.compressor:ZlibCompressor"
    # The cipher (the master key) is set on the mapper once the store is looked at:
    # adapters.driven.keys.setup.protect.
    if settings.is_postgres:
        env.update(postgres_env(settings))
    else:
        directory = settings.sqlite_dir
        private_file(directory / "events.sqlite")  # 0600, and so its -wal and -shm files
        env["PERSISTENCE_MODULE"] = "adapters.driven.events.sqlite:Factory"
        env["SQLITE_DBNAME"] = str(directory / "events.sqlite")
        env["SQLITE_LOCK_TIMEOUT"] = str(settings.sqlite_lock_timeout)
    return env


def memory_env() -> dict[str, str]:
    """An in-memory store (tests): same mapper, no files."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing.popo",
        "MAPPER_TOPIC": MAPPER_TOPIC,
        "IS_SNAPSHOTTING_ENABLED": "y",
    }


def postgres_env(settings: Settings) -> dict[str, str]:
    """``POSTGRES_*`` keys from ``CARETRAIL_DATABASE_URL`` (never DB functions)."""
    assert settings.database_url is not None
    url = urlsplit(settings.database_url)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        # One connection at start, more on demand up to the setting: the library's pool opens
        # POOL_SIZE connections eagerly, and sixteen processes of eight each exhaust a server's
        # default max_connections (100) before doing anything.
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": str(settings.postgres_pool_size - 1),
        "POSTGRES_LOCK_TIMEOUT": str(settings.postgres_lock_timeout),
        # It skips the table lock that orders notifications: readers then miss events.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
    }
    if settings.postgres_schema:
        env["POSTGRES_SCHEMA"] = settings.postgres_schema
    return env
