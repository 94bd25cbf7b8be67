"""``caretrail demo-people``: the people a newcomer logs in as, each with a working link."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.bootstrap import build, build_accounts
from adapters.driven.auth.accounts import LoginFailed
from adapters.driven.auth.models import TeacherRole
from adapters.driven.clock import Clock
from adapters.driving.cli.main import cli
from adapters.driving.demo import staff
from adapters.settings import Settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def logs_aside(log_lines: io.StringIO) -> io.StringIO:
    """Log lines into a buffer, as ``caretrail`` sends them to stderr (stdout is the answer)."""
    return log_lines


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


def test_every_teacher_the_demo_names_is_a_teacher_of_the_school(demo_copy: Settings) -> None:
    _people()
    accounts = build_accounts(demo_copy, Clock())
    try:
        teachers = {u.user_id for u in accounts.store.list_users()
                    if u.role.value == "teacher" and tuple(u.schools) == ("school-001",)}
        roster = {t.teacher_id: t for t in accounts.roster.active("school-001")}
    finally:
        accounts.close()
    assert teachers == set(staff("school-001")["teachers"]) == set(roster)
    for teacher in staff("school-001")["counsellors"]:
        assert TeacherRole.COUNSELLING_TEACHER in roster[teacher].roles
    for teacher in staff("school-001")["head_teachers"]:
        assert {TeacherRole.HEAD_TEACHER, TeacherRole.MENTOR} <= set(roster[teacher].roles)


def test_each_run_gives_passwords_and_tokens_that_work_and_ends_the_earlier_ones(
    demo_copy: Settings,
) -> None:
    first, second = _people(), _people()
    accounts = build_accounts(demo_copy, Clock())
    try:
        for old, new in zip(first, second, strict=True):
            assert old["password"] != new["password"]
            with pytest.raises(LoginFailed):
                accounts.login(old["user_id"], old["password"], address="127.0.0.1")
            session = accounts.login(new["user_id"], new["password"], address="127.0.0.1")
            assert session.user_id == new["user_id"]
            principal = accounts.authenticate(new["token"])
            assert principal is not None
            assert (principal.role.value, principal.schools) == (new["role"], ("school-001",))
            assert accounts.authenticate(old["token"]) is None
    finally:
        accounts.close()


def test_the_people_are_printed_with_where_to_log_in(demo_copy: Settings) -> None:
    result = runner.invoke(cli, ["demo-people"])
    assert result.exit_code == 0, result.output
    assert "log in at http://127.0.0.1:8000/login" in result.stdout
    assert re.search(r"supervisor +school-001-supervisor +demo-[0-9a-f]{8}", result.stdout)


def test_a_school_without_cases_is_one_line_and_no_people(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARETRAIL_DATA_DIR", str(tmp_path / "data"))
    result = runner.invoke(cli, ["demo-people", "--school", "school-009"])
    assert result.exit_code != 0
    assert "school school-009 has no case: load the demo first" in str(result.exception)


def test_the_command_writes_its_log_lines_to_stderr_and_only_its_answer_to_stdout(
    demo_copy: Settings,
) -> None:
    main = "from adapters.driving.cli.main import main; main()"
    env = {**os.environ, "CARETRAIL_DATA_DIR": str(demo_copy.data_dir)}
    done = subprocess.run([sys.executable, "-c", main, "demo-people", "--json"], capture_output=True,
                          text=True, env=env, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 3
    assert "password_set" in done.stderr
    for person in json.loads(done.stdout):
        assert person["password"] not in done.stderr
