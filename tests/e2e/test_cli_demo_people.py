"""``caretrail demo-people``: the people a newcomer logs in as, each with a working link."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.bootstrap import build, build_accounts
from adapters.driven.clock import Clock
from adapters.driving.cli.main import cli
from adapters.driving.demo import staff
from adapters.settings import Settings

runner = CliRunner()


@pytest.fixture
def demo_copy(demo_events: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A copy of the demo school's store, the CLI pointed at it."""
    shutil.copytree(demo_events.data_dir, tmp_path / "data")
    monkeypatch.setenv("CARETRAIL_DATA_DIR", str(tmp_path / "data"))
    return Settings(data_dir=tmp_path / "data")


def _people() -> list[dict[str, str]]:
    result = runner.invoke(cli, ["demo-people", "--school", "school-001", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_demo_teacher_is_a_head_teacher_with_an_overdue_home_visit(demo_copy: Settings) -> None:
    people = {p["role"]: p for p in _people()}
    assert set(people) == {"teacher", "supervisor", "auditor"}
    teacher = people["teacher"]["user_id"]
    assert teacher in staff("school-001")["head_teachers"]
    caretrail = build(demo_copy)
    try:
        counts = caretrail.read.overdue_summary(school_ids=["school-001"], now=caretrail.clock())
    finally:
        caretrail.close()
    assert any(c.assignee_id == teacher and c.kind == "home_visit" for c in counts)


def test_each_run_gives_links_and_tokens_that_work_and_withdraws_the_earlier_ones(
    demo_copy: Settings,
) -> None:
    first, second = _people(), _people()
    accounts = build_accounts(demo_copy, Clock())
    try:
        for old, new in zip(first, second, strict=True):
            assert accounts.invitation(old["url"].rsplit("/", 1)[1]) is None
            invitation = accounts.invitation(new["url"].rsplit("/", 1)[1])
            assert invitation is not None
            assert invitation.user_id == new["user_id"]
            principal = accounts.authenticate(new["token"])
            assert principal is not None
            assert (principal.role.value, principal.schools) == (new["role"], ("school-001",))
            assert accounts.authenticate(old["token"]) is None
    finally:
        accounts.close()


def test_a_school_without_cases_is_one_line_and_no_people(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARETRAIL_DATA_DIR", str(tmp_path / "data"))
    result = runner.invoke(cli, ["demo-people", "--school", "school-009"])
    assert result.exit_code != 0
    assert "school school-009 has no case: load the demo first" in str(result.exception)
