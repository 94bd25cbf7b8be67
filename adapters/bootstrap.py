"""The composition root: builds the whole service from settings, nothing at import time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from adapters.clock import Clock
from adapters.persistence import event_store_env, memory_env
from adapters.pg_notify import NotifyListener
from adapters.settings import Settings
from adapters.views_sqlite import SQLiteViewStore
from projections.queries import ReadModels, TaskListCache
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from projections.views import all_views
from workflows.registry import Registry, UnknownWorkflow
from workflows.services import CaseService


@dataclass
class Caretrail:
    """Everything one process needs, wired together."""

    settings: Settings
    clock: Callable[[], datetime]
    registry: Registry
    cases: CaseService
    runner: ProjectionRunner
    read: ReadModels
    listener: NotifyListener | None = None

    def start(self) -> None:
        """Start background work: views follow the store (woken by other processes on PostgreSQL)."""
        self.runner.start()
        if self.listener is not None:
            self.listener.start()

    def stop(self) -> None:
        """Stop background work (the stores stay open)."""
        if self.listener is not None:
            self.listener.stop()
        self.runner.stop()

    def close(self) -> None:
        """Stop background work and close connections."""
        self.stop()
        for store in {id(s): s for s in self.runner.stores.values()}.values():
            store.close()
        self.cases.close()


def build(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    memory: bool = False,
    create_tables: bool | None = None,
) -> Caretrail:
    """Build caretrail from settings (default: the environment).

    ``memory=True`` keeps events in memory (tests); views still need files, under
    ``settings.data_dir``. Tables are created at start on SQLite; on PostgreSQL only
    ``caretrail migrate`` creates them (``create_tables=True``), so that many workers
    starting together never race on DDL.
    """
    settings = settings or Settings()
    if create_tables is None:
        create_tables = not settings.is_postgres
    if settings.is_postgres and not create_tables and not memory:
        check_migrated(settings)
    if settings.is_postgres and create_tables and not memory:
        create_schema(settings)
    clock = clock or Clock()
    registry = Registry.load(*([settings.workflow_dir] if settings.workflow_dir else []))
    try:
        registry.latest(settings.default_workflow)  # refused at start, not at the first case
    except UnknownWorkflow as e:
        raise StartupError(f"CARETRAIL_DEFAULT_WORKFLOW: {e}") from None
    env = memory_env() if memory else event_store_env(settings, create_tables=create_tables)
    cases = case_service(settings, env, clock=clock, registry=registry)
    if not memory:
        try:
            check_readable(cases)
        except BaseException:
            cases.close()  # its connections (a PostgreSQL pool) go with the refusal
            raise
    views = all_views()
    stores = view_stores(settings, [v.name for v in views])
    runner = ProjectionRunner(
        cases, stores, views, poll_interval=settings.projection_poll_seconds,
        # A batch holds its views' tracking rows (PostgreSQL: FOR UPDATE) or files (SQLite)
        # until it commits. PostgreSQL applies ~12,000 events/s to all views here, and other
        # workers give up on a lock after POSTGRES_LOCK_TIMEOUT (5 s): its batches stop at
        # 20,000 events (~1.7 s). SQLite batches go to 100,000 (~3 s while rebuilding): a
        # CLI command catching up meanwhile waits for the files (SQLITE_LOCK_TIMEOUT, 10 s).
        max_batch_size=20_000 if settings.is_postgres else 100_000,
    )
    if create_tables:
        runner.setup()
    cases.on_saved(runner.wake)
    listener = None
    if settings.is_postgres and not memory:
        assert settings.database_url is not None
        # The recorder NOTIFYs on a channel named after its events table.
        listener = NotifyListener(settings.database_url, f"{cases.name}_events", runner.wake)
    return Caretrail(
        settings=settings, clock=clock, registry=registry, cases=cases, runner=runner,
        read=ReadModels(
            stores, task_list_cache=TaskListCache() if settings.task_list_cache else None
        ),
        listener=listener,
    )


def case_service(
    settings: Settings, env: dict[str, str], *, clock: Callable[[], datetime], registry: Registry
) -> CaseService:
    """The case application on the event store ``env``, with the deployment's choices."""
    return CaseService(
        env,
        registry=registry,
        clock=clock,
        id_namespace=settings.id_namespace,
        default_workflow=settings.default_workflow,
        mentor_capacity=settings.mentor_capacity,
        snapshot_interval=settings.snapshot_interval,
    )


def view_stores(settings: Settings, names: list[str]) -> dict[str, ViewStore]:
    """Where each view lives: one SQLite file per view under ``views/``, or PostgreSQL tables."""
    if settings.is_postgres:
        from adapters.views_postgres import PostgresViewStore

        assert settings.database_url is not None
        shared = PostgresViewStore(
            settings.database_url,
            schema=settings.postgres_schema or "public",
            pool_size=settings.postgres_pool_size,
            lock_timeout=settings.postgres_lock_timeout,
        )
        return dict.fromkeys(names, shared)
    directory: Path = settings.sqlite_dir / "views"
    return {
        name: SQLiteViewStore(directory / f"{name}.sqlite", lock_timeout=settings.sqlite_lock_timeout)
        for name in names
    }


class StartupError(Exception):
    """Raised when the settings and the store or the workflows do not fit together."""


class StoreNotMigrated(Exception):
    """Raised when a PostgreSQL store has no tables yet: ``caretrail migrate`` creates them."""


def check_readable(cases: CaseService) -> None:
    """Decode the log's first event with this configuration, so that a process whose
    ``CIPHER_KEY`` or ``COMPRESS_EVENTS`` does not fit the store stops at start
    (``MapperDeserialisationError``) instead of writing events no reader can decode
    beside the ones it cannot read."""
    first = cases.recorder.select_notifications(start=None, limit=1)
    if first:
        cases.mapper.to_domain_event(first[0])


def create_schema(settings: Settings) -> None:
    """Create the PostgreSQL schema of this deployment if it does not exist (``migrate``)."""
    import psycopg
    from psycopg import sql

    assert settings.database_url is not None
    with psycopg.connect(settings.database_url, connect_timeout=5, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
            sql.Identifier(settings.postgres_schema or "public")))


def check_migrated(settings: Settings) -> None:
    """Refuse to start on a PostgreSQL schema that ``caretrail migrate`` has not prepared."""
    import psycopg

    assert settings.database_url is not None
    schema = settings.postgres_schema or "public"
    with psycopg.connect(settings.database_url, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT to_regclass(%s), to_regclass(%s)",
            (f'"{schema}".cases_events', f'"{schema}".view_tracking'),
        ).fetchone()
    if row is None or None in row:
        raise StoreNotMigrated(
            f"the PostgreSQL schema {schema} has no caretrail tables: run `caretrail migrate` once"
        )
