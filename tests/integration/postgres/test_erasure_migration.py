"""An erasure survives ``caretrail migrate --from`` a SQLite store to PostgreSQL; the
schema's ``pg_dump`` holds none of the child's data, erased or not."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from adapters.bootstrap import build
from adapters.settings import Settings
from domain.personal import ERASED
from tests.conftest import SUPERVISOR, identify
from tests.fakes import FakeClock
from tests.integration.postgres.test_deployment import _caretrail
from tests.integration.test_erasure import CANARY, PHONE, canary_case
from workflows.commands import EraseCase

pytestmark = [pytest.mark.postgres]


def test_an_erased_case_stays_erased_in_the_postgres_copy(
    pg_env: dict[str, str], pg_settings: Settings, pg_url: str, pg_schema: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    old = tmp_path / "old"
    source = build(Settings(data_dir=old), clock=clock)
    try:
        erased = canary_case(source, clock, 1)
        kept = identify(source.cases, clock, 2).case_id
        source.cases.handle(EraseCase(case_id=erased, reason="purpose_ended"), SUPERVISOR)
    finally:
        source.close()
    done = _caretrail(pg_env, "migrate", "--from", f"sqlite:///{old}", "--json")
    assert done.returncode == 0, done.stderr
    assert '"case_keys": 2' in done.stdout
    target = build(pg_settings, clock=clock)
    try:
        case = target.cases.get_case(erased)
        assert case.erased
        assert case.child.name == ERASED
        assert [getattr(e, "text", ERASED) for e in target.cases.history(erased)] == [
            ERASED] * len(target.cases.history(erased))
        assert target.cases.get_case(kept).child.name == "王小明"
    finally:
        target.close()
    dump = subprocess.run(["pg_dump", "--data-only", "--schema", pg_schema, pg_url],
                          capture_output=True, check=True, timeout=120).stdout
    assert b"case_keys" in dump
    assert CANARY.encode() not in dump
    assert PHONE.encode() not in dump
