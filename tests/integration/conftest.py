"""Contract fixtures: the same integration test runs on SQLite files and on PostgreSQL.

Each PostgreSQL test gets a schema of its own, dropped afterwards, so tests never see
each other's data. Without a server the PostgreSQL half skips (CI requires it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.bootstrap import Caretrail, build
from adapters.settings import Settings
from tests.fakes import FakeClock


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for one backend: SQLite files in tmp_path, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path / "data")
        return
    import psycopg

    url: str = request.getfixturevalue("pg_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield Settings(data_dir=tmp_path / "data", database_url=url, postgres_schema=schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def backend(backend_settings: Settings, clock: FakeClock) -> Iterator[Caretrail]:
    """The whole service on one backend (parametrised: SQLite and PostgreSQL)."""
    caretrail = build(backend_settings, clock=clock, create_tables=True)
    yield caretrail
    caretrail.close()
