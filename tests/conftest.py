"""Shared fixtures: a fake clock, services on memory / SQLite, PostgreSQL when available."""

from __future__ import annotations

import io
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import structlog

from adapters.bootstrap import Caretrail, build, case_service
from adapters.driven.events.environment import memory_env
from adapters.logging import configure_logging
from adapters.settings import Settings
from domain.values import Actor, Child, Guardian, Parents, ParentsAway, Role
from tests.fakes import FakeClock
from workflows.commands import IdentifyChild
from workflows.registry import Registry
from workflows.services import CaseService

TEACHER = Actor(user_id="t-head", role=Role.TEACHER)
SUPERVISOR = Actor(user_id="sup-1", role=Role.SUPERVISOR)
COUNSELLOR = Actor(user_id="t-counsel", role=Role.TEACHER)

# Cheap argon2 parameters for every Settings the suite builds, and for every process it
# starts (they inherit the environment): the suite hashes many passwords, and what it
# checks does not depend on a hash's cost. A test may still set its own.
for _name, _value in (("CARETRAIL_PASSWORD_TIME_COST", "1"), ("CARETRAIL_PASSWORD_MEMORY_KIB", "1024"),
                      ("CARETRAIL_PASSWORD_PARALLELISM", "1")):
    os.environ.setdefault(_name, _value)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load()


@pytest.fixture
def service(clock: FakeClock, registry: Registry) -> Iterator[CaseService]:
    """The case application on the in-memory store."""
    cases = case_service(Settings(), memory_env(), registry=registry, clock=clock)
    yield cases
    cases.close()


@pytest.fixture
def caretrail(tmp_path: Path, clock: FakeClock) -> Iterator[Caretrail]:
    """The whole of caretrail on SQLite files in a temporary directory."""
    built = build(Settings(data_dir=tmp_path / "data"), clock=clock)
    yield built
    built.close()


def identify(service: CaseService, clock: FakeClock, n: int = 1, **overrides: Any) -> Any:
    """Identify a child with plausible details (the ``n``-th student of school s1)."""
    args: dict[str, Any] = {
        "school_id": "s1",
        "student_no": f"2026{n:04d}",
        "child": Child(name="王小明", class_name="三年级2班"),
        "guardian": Guardian(name="李奶奶", relation="grandmother", phone="13800000000"),
        "parents": Parents(away=ParentsAway.BOTH, work_place="广东东莞"),
        "head_teacher_id": TEACHER.user_id,
        "occurred_at": clock(),
    }
    args.update(overrides)
    return service.handle(IdentifyChild(**args), TEACHER)


@pytest.fixture(scope="session")
def demo_events(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a SQLite store holding one demo school year (~26,000 events), made once."""
    from datetime import UTC, datetime

    from adapters.driving.demo import generate

    settings = Settings(data_dir=tmp_path_factory.mktemp("demo") / "data")
    clock = FakeClock(datetime(2026, 11, 29, tzinfo=UTC))
    caretrail = build(settings, clock=clock)
    try:
        generate(caretrail.cases, clock.set, seed=7, schools=1, until=clock())
    finally:
        caretrail.close()
    return settings


# --------------------------------------------------------------------------- PostgreSQL
def postgres_url() -> str | None:
    """The server tests may use, or None (tests then skip, unless CI requires them)."""
    url = os.environ.get("CARETRAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=2):
            return url
    except Exception:
        return None


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = postgres_url()
    if url is None:
        if os.environ.get("CARETRAIL_REQUIRE_POSTGRES"):
            pytest.fail("CARETRAIL_REQUIRE_POSTGRES is set but PostgreSQL is not reachable")
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432 (CI sets CARETRAIL_REQUIRE_POSTGRES=1)")
    return url


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:
    """A PostgreSQL schema of its own, dropped afterwards (with its ``_r`` rebuild twin)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_r" CASCADE')


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Logging configured as in production (JSON), into a buffer; restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("json", "INFO", stream, cache=False)
    yield stream
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)
