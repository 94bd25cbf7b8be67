"""PostgreSQL scale-out tests: a fresh schema per test, processes that share it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def pg_env(pg_url: str, pg_schema: str, tmp_path: Path) -> dict[str, str]:
    """Environment for a caretrail process on that schema."""
    return {
        **os.environ,
        "CARETRAIL_DATABASE_URL": pg_url,
        "CARETRAIL_POSTGRES_SCHEMA": pg_schema,
        "CARETRAIL_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
def pg_settings(pg_url: str, pg_schema: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=pg_url, postgres_schema=pg_schema
    )


def python(script: str, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """Start ``python -c script`` in the repository with the given environment."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
