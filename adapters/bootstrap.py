"""The composition root: every part of caretrail is built and wired here, nothing at import time.

``build(settings)`` gives the :class:`Caretrail` of one process (events, views, read
models); the accounts, the scheduler and the background work of a serving process are
built beside it by the functions below. Interfaces (the API, the CLI) call these and
nothing else to get their parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.driven.auth.accounts import Accounts, key_file
from adapters.driven.auth.people import PeopleConfig
from adapters.driven.auth.port import AuthStore
from adapters.driven.auth.roster import RosterAssignees
from adapters.driven.clock import Clock
from adapters.driven.events.environment import StoreNotMigrated, event_store_env, memory_env
from adapters.driven.events.namespace import FILE_NAME as NAMESPACE_FILE
from adapters.driven.events.namespace import (
    FORMER_DEFAULT,
    NamespaceMismatch,
    check_namespace,
    kept_namespace,
)
from adapters.driven.keys.master import MasterKeyError
from adapters.driven.keys.setup import check_readable, protect
from adapters.driven.locks.port import LeaderLock, LockError
from adapters.driven.locks.sqlite import FileLeaderLock
from adapters.driven.notify.log import LogNotifier
from adapters.driven.notify.outbox import Outbox
from adapters.driven.notify.port import Notifier, SchedulerConfigError
from adapters.driven.notify.webhook import WebhookNotifier
from adapters.driven.views.sqlite import SQLiteViewStore
from adapters.driving.scheduler.retention import RetentionSweep
from adapters.driving.scheduler.service import SchedulerService
from adapters.driving.scheduler.sweep import Sweeper
from adapters.settings import Settings
from projections.queries import ReadModels
from projections.runner import ViewRunner
from projections.store import ViewStore
from projections.task_cache import TaskListCache
from projections.views import all_views
from workflows.registry import Registry, UnknownWorkflow
from workflows.services import CaseService

__all__ = [
    "BackgroundWork",
    "Caretrail",
    "StartupError",
    "StoreNotMigrated",
    "build",
    "build_accounts",
    "build_outbox",
    "build_scheduler",
    "build_sweeper",
    "case_service",
    "check_migrated",
    "guard_assignments",
    "view_stores",
]


class StartupError(Exception):
    """Raised when the settings and the store or the workflows do not fit together."""


@dataclass
class Caretrail:
    """Everything one process needs to take commands and answer reads, wired together."""

    settings: Settings
    clock: Callable[[], datetime]
    registry: Registry
    cases: CaseService
    runner: ViewRunner
    read: ReadModels
    listener: Any = None  # PostgreSQL: wakes the runner when another process writes

    def start(self) -> None:
        """Start background work: views follow the store (woken by other processes on PG)."""
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
    if settings.is_postgres and not memory:
        from adapters.driven.sql.postgres import create_schema

        if create_tables:
            create_schema(_url(settings), _schema(settings))
        else:
            check_migrated(settings)
    clock = clock or Clock()
    registry = _registry(settings)
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
    runner = ViewRunner(
        cases, stores, views, poll_interval=settings.projection_poll_seconds,
        # A batch holds its views' tracking rows (PostgreSQL: FOR UPDATE) or files (SQLite)
        # until it commits, and other processes wait for them: batches stay well inside
        # the lock timeouts (docs/performance.md, read models).
        max_batch_size=20_000 if settings.is_postgres else 100_000,
    )
    if create_tables:
        runner.setup()
    cases.on_saved(runner.wake)
    listener = None
    if settings.is_postgres and not memory:
        from adapters.driven.events.postgres import NotifyListener

        # The recorder NOTIFYs on a channel named after its events table.
        listener = NotifyListener(_url(settings), f"{cases.name}_events", runner.wake)
    return Caretrail(
        settings=settings, clock=clock, registry=registry, cases=cases, runner=runner,
        read=ReadModels(
            stores, task_list_cache=TaskListCache() if settings.task_list_cache else None
        ),
        listener=listener,
    )


def _registry(settings: Settings) -> Registry:
    """Every published workflow; the default one must be among them (refused at start)."""
    registry = Registry.load(*([settings.workflow_dir] if settings.workflow_dir else []))
    try:
        registry.latest(settings.default_workflow)
    except UnknownWorkflow as e:
        raise StartupError(f"CARETRAIL_DEFAULT_WORKFLOW: {e}") from None
    return registry


def case_service(
    settings: Settings, env: dict[str, str], *, clock: Callable[[], datetime], registry: Registry
) -> CaseService:
    """The case application on the event store ``env``, with the deployment's choices.

    Its id namespace is ``ID_NAMESPACE``, else the data directory's ``id.namespace`` file
    (``adapters.driven.events.namespace``); either must fit the store, and so must the
    master key (``adapters.driven.keys``), or :class:`StartupError`.
    """
    cases = CaseService(
        env,
        registry=registry,
        clock=clock,
        # Told below, once the store can be asked whether it has events.
        id_namespace=settings.id_namespace or FORMER_DEFAULT,
        default_workflow=settings.default_workflow,
        mentor_capacity=settings.mentor_capacity,
        snapshot_interval=settings.snapshot_interval,
    )
    try:
        protect(cases, settings, env)  # the master key, the case keys
        if settings.id_namespace is None:
            path = settings.sqlite_dir / NAMESPACE_FILE
            cases.id_namespace, source = kept_namespace(cases, path), str(path)
        else:
            source = "CARETRAIL_ID_NAMESPACE"
        check_namespace(cases, cases.id_namespace, source)
    except (NamespaceMismatch, MasterKeyError) as e:
        cases.close()
        raise StartupError(str(e)) from None
    except BaseException:
        cases.close()
        raise
    return cases


def view_stores(settings: Settings, names: list[str]) -> dict[str, ViewStore]:
    """Where each view lives: one SQLite file per view under ``views/``, or PostgreSQL tables."""
    if settings.is_postgres:
        from adapters.driven.views.postgres import PostgresViewStore

        shared = PostgresViewStore(
            _url(settings), schema=_schema(settings), pool_size=settings.postgres_pool_size,
            lock_timeout=settings.postgres_lock_timeout,
        )
        return dict.fromkeys(names, shared)
    directory = settings.sqlite_dir / "views"
    return {
        name: SQLiteViewStore(directory / f"{name}.sqlite", lock_timeout=settings.sqlite_lock_timeout)
        for name in names
    }


def check_migrated(settings: Settings) -> None:
    """Refuse to start on a PostgreSQL schema that ``caretrail migrate`` has not prepared."""
    from adapters.driven.sql.postgres import has_tables

    if not has_tables(_url(settings), _schema(settings), ["cases_events", "view_tracking"]):
        raise StoreNotMigrated(
            f"the PostgreSQL schema {_schema(settings)} has no caretrail tables: "
            "run `caretrail migrate` once"
        )


# --------------------------------------------------------------------------- accounts
def build_accounts(
    settings: Settings, clock: Callable[[], datetime], *, create_tables: bool | None = None
) -> Accounts:
    """The accounts of this deployment: ``auth.sqlite`` in the data directory, or PostgreSQL.

    As with the event store, tables are created at start on SQLite and only by
    ``caretrail migrate`` on PostgreSQL (``create_tables=True``). The tokens' hashing key
    is ``CARETRAIL_TOKEN_KEY``, else the data directory's ``auth.key`` file. Durations,
    login throttling and the password hash's cost come from the settings of the same names.
    """
    store: AuthStore
    if settings.is_postgres:
        from adapters.driven.auth.postgres import PostgresAuthStore

        store = PostgresAuthStore(
            _url(settings), schema=_schema(settings), pool_size=settings.postgres_pool_size,
            lock_timeout=settings.postgres_lock_timeout,
        )
    else:
        from adapters.driven.auth.sqlite import SQLiteAuthStore

        store = SQLiteAuthStore(
            settings.sqlite_dir / "auth.sqlite", lock_timeout=settings.sqlite_lock_timeout
        )
    if create_tables if create_tables is not None else not settings.is_postgres:
        store.setup()
    key = (
        settings.token_key.get_secret_value().encode() if settings.token_key is not None
        else key_file(settings.sqlite_dir / "auth.key")
    )
    people = PeopleConfig(**{f.name: getattr(settings, f.name) for f in fields(PeopleConfig)})
    return Accounts(store, key, clock, people=people, timezone=settings.timezone)


def guard_assignments(caretrail: Caretrail, accounts: Accounts) -> None:
    """Only active teachers of the case's school's roster with the role may be assigned
    (every interface taking people's commands calls this; the demo and scheduler need not)."""
    caretrail.cases.assignees = RosterAssignees(accounts.store)


# --------------------------------------------------------------------------- the scheduler
def build_notifier(settings: Settings) -> Notifier:
    """The notifier the settings ask for; :class:`SchedulerConfigError` if incomplete."""
    if settings.notifier == "log":
        return LogNotifier()
    if settings.webhook_url is None:
        raise SchedulerConfigError("CARETRAIL_NOTIFIER=webhook needs CARETRAIL_WEBHOOK_URL")
    return WebhookNotifier(
        settings.webhook_url.get_secret_value(),
        fmt=settings.webhook_format,
        secret=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
        timeout=settings.webhook_timeout_seconds,
        tz=ZoneInfo(settings.timezone),
    )


def build_lock(settings: Settings) -> LeaderLock:
    """The scheduler's leader lock for the configured store."""
    if settings.is_postgres:
        from adapters.driven.locks.postgres import PostgresLeaderLock

        return PostgresLeaderLock(_url(settings), _schema(settings))
    return FileLeaderLock(settings.sqlite_dir / "scheduler.lock")


def build_outbox(caretrail: Caretrail, **limits: Any) -> Outbox:
    """The notification outbox beside the views (``limits``: batch sizes, for tests)."""
    settings = caretrail.settings
    store = view_stores(settings, ["outbox"])["outbox"]
    return Outbox(
        store, caretrail, retry_seconds=settings.notify_retry_seconds,
        max_attempts=settings.notify_max_attempts, **limits,
    )


def build_sweeper(caretrail: Caretrail) -> Sweeper:
    """The escalation sweep over this caretrail's views and cases."""
    return Sweeper(caretrail)


def build_scheduler(
    caretrail: Caretrail,
    *,
    notifier: Notifier | None = None,
    lock: LeaderLock | None = None,
    outbox: Outbox | None = None,
    **timing: float,
) -> SchedulerService:
    """The scheduler with the notifier, lock and outbox of the settings (or those given).

    ``timing`` (``lock_poll_seconds``, ``heartbeat_seconds``) is for tests.
    """
    settings = caretrail.settings
    try:
        tz = ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SchedulerConfigError(f"CARETRAIL_TIMEZONE '{settings.timezone}' is unknown") from None
    try:
        digest_at = settings.digest_at
    except ValueError as e:
        raise SchedulerConfigError(f"CARETRAIL_DIGEST_TIME: {e}") from None
    notifier = notifier or build_notifier(settings)
    outbox = outbox or build_outbox(caretrail)
    retention = RetentionSweep.of(caretrail, settings.retention_years, outbox,
                                  lambda: build_accounts(settings, caretrail.clock))
    try:
        return SchedulerService(
            caretrail, notifier=notifier, lock=lock or build_lock(settings), outbox=outbox,
            tz=tz, digest_at=digest_at, sweep_seconds=settings.sweep_seconds, retention=retention,
            **timing,
        )
    except BaseException:
        notifier.close()
        raise


@dataclass
class BackgroundWork:
    """The non-HTTP half of a process, started in order and stopped in reverse: the views
    following the log, then the scheduler (its first sweep reads views already catching up)."""

    caretrail: Caretrail
    scheduler: SchedulerService | None = None
    _started: list[Any] = field(default_factory=list)

    @classmethod
    def for_process(cls, caretrail: Caretrail, *, scheduler: bool = True) -> BackgroundWork:
        """BackgroundWork work of a serve or worker process; bad scheduler settings are a
        :class:`StartupError`."""
        if not scheduler:
            return cls(caretrail)
        try:
            return cls(caretrail, build_scheduler(caretrail))
        except (SchedulerConfigError, LockError) as e:
            raise StartupError(str(e)) from None

    def start(self) -> None:
        """Start everything (idempotent)."""
        if self._started:
            return
        self.caretrail.start()
        self._started.append(self.caretrail)
        if self.scheduler is not None:
            self.scheduler.start()
            self._started.append(self.scheduler)

    def stop(self) -> None:
        """Stop in reverse order."""
        while self._started:
            self._started.pop().stop()


def _url(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url


def _schema(settings: Settings) -> str:
    return settings.postgres_schema or "public"
