"""The real ``caretrail`` console script, in a subprocess, against a temporary data directory.

A case goes identify -> visit -> pair -> counsel -> review from the shell with ``--json``;
bad input prints one line on stderr, exits non-zero, shows no traceback, changes nothing.
Each subprocess costs most of a second, so the journey runs once per module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.bootstrap import build_accounts, case_service
from adapters.driven.auth.models import UserRole
from adapters.driven.events.environment import event_store_env
from adapters.settings import Settings
from workflows.registry import Registry

CARETRAIL = str(Path(sys.executable).parent / "caretrail")
CHILD = ["--name", "王小明", "--guardian-name", "李奶奶", "--guardian-relation", "grandmother",
         "--head-teacher", "school-001-t01", "--class", "三年级2班"]


def caretrail(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the console script with only this data directory configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    env |= {"CARETRAIL_DATA_DIR": str(data_dir), "CARETRAIL_LOG_FORMAT": "console"}
    return subprocess.run([CARETRAIL, *args], capture_output=True, text=True, env=env, timeout=60,
                          check=False)


def ok(data_dir: Path, *args: str) -> Any:
    """Run a command that must succeed with ``--json``; its parsed output."""
    done = caretrail(data_dir, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def add_teachers(data_dir: Path, school: str, *teachers: str) -> None:
    """Teachers of a school, who may then be named head teacher or mentor there."""
    accounts = build_accounts(Settings(data_dir=data_dir), lambda: datetime.now(UTC))
    try:
        for teacher in teachers:
            accounts.add_user(teacher, UserRole.TEACHER, [school])
    finally:
        accounts.close()


def store(data_dir: Path, case_id: str) -> tuple[int, int]:
    """The store's position and the case's version, read in this process."""
    settings = Settings(data_dir=data_dir)
    service = case_service(settings, event_store_env(settings), registry=Registry.load(),
                       clock=lambda: datetime.now(UTC))
    try:
        return service.position(), service.get_case(UUID(case_id)).version
    finally:
        service.close()


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One case taken through a school term from the shell; every command's JSON output."""
    data = tmp_path_factory.mktemp("cli") / "data"
    add_teachers(data, "school-001", "school-001-t01", "school-001-t40")  # head teacher, mentor
    add_teachers(data, "school-002", "school-002-t01")
    out: dict[str, Any] = {"data": data}
    out["identify"] = ok(data, "case", "identify", "--school", "school-001", "--student-no",
                         "20260001", *CHILD, "--as", "school-001-t01")
    case_id = out["identify"]["case_id"]
    visit_id = str(uuid4())
    out["visit"] = ok(data, "case", "visit", case_id, "--guardian-met", "--command-id", visit_id,
                      "--observations", "祖母身体不好")
    out["pair"] = ok(data, "case", "pair", case_id, "--mentor", "school-001-t40")
    out["counsel"] = ok(data, "case", "counsel", case_id, "--risk", "high", "--as", "school-001-t31")
    out["review"] = ok(data, "case", "review", case_id, "--outcome", "continue")
    out["retry"] = ok(data, "case", "visit", case_id, "--command-id", visit_id)
    out["show"] = ok(data, "case", "show", case_id)
    out["history"] = ok(data, "case", "history", case_id)
    out["amend"] = ok(data, "case", "amend", case_id, "--guardian-name", "张阿姨", "--guardian-relation",
                      "aunt")
    return out


def test_a_case_goes_through_a_term_from_the_shell(journey: dict[str, Any]) -> None:
    steps = ["identify", "visit", "pair", "counsel", "review"]
    assert [journey[s]["state"] for s in steps] == [
        "identified", "visited", "paired", "counselled", "reviewed"]
    versions = [journey[s]["version"] for s in steps]
    assert versions == sorted(set(versions))
    assert [t["kind"] for t in journey["identify"]["scheduled"]] == [
        "home_visit", "guardian_contact", "parent_contact"]
    assert journey["counsel"]["events"][:2] == ["CounsellingHeld", "RiskLevelChanged"]


def test_show_and_history_tell_the_same_story_as_the_commands(journey: dict[str, Any]) -> None:
    show, history = journey["show"], journey["history"]
    assert (show["state"], show["risk_level"], show["mentor_id"]) == ("reviewed", "high", "school-001-t40")
    assert show["version"] == journey["review"]["version"] == len(history)
    assert history[0]["type"] == "Identified"
    assert history[0]["actor"] == {"user_id": "school-001-t01", "role": "teacher"}
    kinds = {t["kind"] for t in show["follow_ups"]}
    assert {"home_visit", "case_review", "counselling", "mentor_talk"} <= kinds
    assert all(e["originator_id"] == show["case_id"] for e in history)


def test_a_retried_command_id_from_the_shell_records_nothing(journey: dict[str, Any]) -> None:
    retry = journey["retry"]
    assert retry["replayed"] is True
    assert (retry["version"], retry["state"]) == (journey["visit"]["version"], "visited")
    assert retry["events"] == []
    assert journey["show"]["version"] == journey["review"]["version"]


def _bad_commands(case_id: str) -> dict[str, tuple[list[str], str]]:
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    return {
        "bad uuid": (["case", "visit", "not-a-uuid"], "'not-a-uuid' is not a case id"),
        "illegal step": (["case", "reopen", case_id, "--reason", "x"],
                         f"case {case_id} is 'reviewed': reopen_case is not allowed; allowed: "),
        "future --at": (["case", "note", case_id, "written tomorrow", "--at", future],
                        "is in the future"),
        "duplicate child": (["case", "identify", "--school", "school-001", "--student-no", "20260001",
                             *CHILD], f"already has case {case_id}"),
        "bad school id": (["case", "identify", "--school", "school 001!", "--student-no", "20260002",
                           *CHILD], "school_id: 'school 001!' is not a valid id"),
        "year 1": (["case", "note", case_id, "typed in wrong", "--at", "0001-01-01T00:00:00+08:00"],
                   "is before 2000-01-01"),
        "version not reached": (["case", "show", case_id, "--version", "999999"],
                                "not yet 999999"),
        "bad --as-of": (["case", "show", case_id, "--as-of", "garbage"],
                        "--as-of: 'garbage' is not an ISO 8601"),
        "--min-days-overdue alone": (["tasks", "--min-days-overdue", "3"],
                                     "--min-days-overdue needs --overdue"),
        "auditor writes": (["case", "note", case_id, "x", "--role", "auditor"],
                           "--role auditor: only a teacher or a supervisor acts on a case"),
        "system from the shell": (["case", "note", case_id, "x", "--role", "system", "--as", "scheduler"],
                                  "--role system: only a teacher or a supervisor"),
        "demo in the future": (["demo", "--until", "2999-01-01"], "is in the future"),
        "amend with nothing": (["case", "amend", case_id], "give what changed"),
        "amend to what it has": (["case", "amend", case_id, "--guardian-name", "张阿姨"],
                                 "the details given are the ones it has"),
        "mentor of another school": (["case", "pair", case_id, "--mentor", "school-002-t01"],
                                     "school-002-t01 may not be the mentor of a case of school school-001"),
        "head teacher nobody": (["case", "identify", "--school", "school-001", "--student-no", "20260003",
                                 *CHILD[:-4], "--head-teacher", "nobody-xyz", "--class", "三年级2班"],
                                "nobody-xyz may not be the head teacher of a case of school school-001"),
        "demo --until garbage": (["demo", "--until", "garbage"], "--until: 'garbage' is not"),
    }


@pytest.mark.parametrize("bad", list(_bad_commands("x")))
def test_bad_input_prints_one_line_exits_non_zero_and_changes_nothing(
    journey: dict[str, Any], bad: str
) -> None:
    data, case_id = journey["data"], journey["identify"]["case_id"]
    args, expected = _bad_commands(case_id)[bad]
    before = store(data, case_id)
    done = caretrail(data, *args, "--json")
    assert done.returncode != 0
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("caretrail: ")
    assert expected in lines[0]
    assert store(data, case_id) == before


@pytest.mark.parametrize(("args", "expected"), [
    (["case", "visit"], "Missing argument 'case_id'"),
    (["case", "review", "x", "--outcome", "maybe"], "Invalid value for '--outcome'"),
    (["tasks", "--limit", "0"], "Invalid value for '--limit'"),
    (["case", "show", "x", "--version", "99999999999999999999999"], "Invalid value for '--version'"),
    (["tasks", "--overdue", "--min-days-overdue", "999999999"], "Invalid value for '--min-days"),
    (["case", "visit", "x", "--bogus"], "No such option: --bogus"),
    (["nosuchcmd"], "No such command 'nosuchcmd'"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_a_usage_error_is_a_usage_message_and_exit_2(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    done = caretrail(tmp_path / "data", *args)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert "internal error" not in done.stderr
    assert "Traceback" not in done.stderr
    assert "Usage: caretrail" in done.stderr


def test_help_exits_0_and_a_bare_group_shows_its_help(tmp_path: Path) -> None:
    assert caretrail(tmp_path / "data", "--help").returncode == 0
    bare = caretrail(tmp_path / "data", "case")
    assert "internal error" not in bare.stderr
    assert "Commands" in bare.stdout + bare.stderr


def test_a_bad_time_zone_is_refused_before_anything_is_recorded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    env |= {"CARETRAIL_DATA_DIR": str(data), "CARETRAIL_TIMEZONE": "Mars/Base"}
    done = subprocess.run(
        [CARETRAIL, "case", "identify", "--school", "s1", "--student-no", "7", *CHILD],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("caretrail: CARETRAIL_TIMEZONE: 'Mars/Base' is not an IANA")
    assert "not an IANA time zone" in done.stderr
    assert not (data / "events.sqlite").exists() or store_is_empty(data)


def test_a_data_directory_that_is_a_file_is_one_line_and_exit_74(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("x")
    done = caretrail(not_a_dir, "init")
    assert done.returncode == 74, done.stderr
    assert done.stderr.startswith("caretrail: ")
    assert str(not_a_dir) in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert not_a_dir.read_text() == "x"


def store_is_empty(data: Path) -> bool:
    settings = Settings(data_dir=data)
    service = case_service(settings, event_store_env(settings), registry=Registry.load(),
                       clock=lambda: datetime.now(UTC))
    try:
        return service.position() == 0
    finally:
        service.close()


def test_a_store_read_with_the_wrong_cipher_key_is_one_clear_line(tmp_path: Path) -> None:
    from eventsourcing.cryptography import AESCipher

    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    env |= {"CARETRAIL_DATA_DIR": str(data), "CARETRAIL_CIPHER_KEY": AESCipher.create_key(32)}
    add_teachers(data, "s1", "school-001-t01")
    made = subprocess.run(
        [CARETRAIL, "case", "identify", "--school", "s1", "--student-no", "7", *CHILD, "--json"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert made.returncode == 0, made.stderr
    env["CARETRAIL_CIPHER_KEY"] = AESCipher.create_key(32)
    read = subprocess.run([CARETRAIL, "case", "history", json.loads(made.stdout)["case_id"]],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert read.returncode == 1
    lines = read.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "CARETRAIL_CIPHER_KEY" in lines[0]
    assert "Traceback" not in read.stderr


@pytest.mark.parametrize(("url", "code", "expected"), [
    ("postgresql://caretrail:s3cretPW@[::1/db", 1, "CARETRAIL_DATABASE_URL is not a valid PostgreSQL URL"),
    ("postgresql://caretrail:s3cret%PW@127.0.0.1/db", 1, "not a valid PostgreSQL URL"),
    ("postgresql://caretrail:s3cretPW@127.0.0.1:1/db", 69, "cannot connect to the PostgreSQL database"),
], ids=["bad host", "bad percent-encoding", "nothing listening"])
def test_a_database_out_of_reach_is_one_line_without_its_password(
    tmp_path: Path, url: str, code: int, expected: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    env |= {"CARETRAIL_DATA_DIR": str(tmp_path / "data"), "CARETRAIL_DATABASE_URL": url}
    done = subprocess.run([CARETRAIL, "projections", "status"], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == code, done.stderr
    assert expected in done.stderr
    assert "s3cret" not in done.stderr
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("CARETRAIL_SWEEP_SECONDS", "inf", "less than or equal to 86400"),
    ("CARETRAIL_PROJECTION_POLL_SECONDS", "1e300", "less than or equal to 3600"),
    ("CARETRAIL_POSTGRES_SCHEMA", "a;drop", "is not a schema name caretrail uses"),
    ("CARETRAIL_POSTGRES_SCHEMA", "information_schema", "is not a schema name caretrail uses"),
])
def test_a_setting_out_of_range_is_refused_at_start(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    env |= {"CARETRAIL_DATA_DIR": str(tmp_path / "data"), name: value}
    done = subprocess.run([CARETRAIL, "tasks"], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.startswith(f"caretrail: {name}: ")
    assert expected in done.stderr
    assert not (tmp_path / "data").exists()


def test_a_cipher_key_turned_on_for_a_plaintext_store_is_refused_before_a_write(
    tmp_path: Path,
) -> None:
    from eventsourcing.cryptography import AESCipher

    data = tmp_path / "data"
    add_teachers(data, "s1", "school-001-t01")
    first = ok(data, "case", "identify", "--school", "s1", "--student-no", "1", *CHILD)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    env |= {"CARETRAIL_DATA_DIR": str(data), "CARETRAIL_CIPHER_KEY": AESCipher.create_key(32)}
    done = subprocess.run(
        [CARETRAIL, "case", "identify", "--school", "s1", "--student-no", "2", *CHILD],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert done.returncode == 1
    assert "CARETRAIL_CIPHER_KEY" in done.stderr
    assert store(data, first["case_id"])[0] == first["position"]


def test_an_unknown_default_workflow_is_refused_at_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    env |= {"CARETRAIL_DATA_DIR": str(tmp_path / "data"), "CARETRAIL_DEFAULT_WORKFLOW": "nope"}
    done = subprocess.run([CARETRAIL, "tasks"], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("caretrail: CARETRAIL_DEFAULT_WORKFLOW: unknown workflow nope")


@pytest.mark.parametrize(("arg", "expected"), [
    ("a\x07b", "argument 4: holds a control character"),
    ("\u200b\u200b", "argument 4: has no visible character"),
], ids=["bell", "zero-width only"])
def test_an_argument_that_is_not_readable_text_is_refused_before_anything_runs(
    journey: dict[str, Any], arg: str, expected: str
) -> None:
    data, case_id = journey["data"], journey["identify"]["case_id"]
    before = store(data, case_id)
    done = caretrail(data, "case", "note", case_id, arg)
    assert done.returncode == 2
    assert done.stderr == f"caretrail: {expected}\n"
    assert store(data, case_id) == before


def test_an_argument_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    env |= {"CARETRAIL_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([CARETRAIL.encode(), b"case", b"note", b"x", b"\xff\xfe"],
                          capture_output=True, env=env, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr == b"caretrail: argument 4: is not UTF-8 text\n"


def test_reading_a_case_from_the_shell_is_in_the_access_log(journey: dict[str, Any]) -> None:
    data, case_id = journey["data"], journey["identify"]["case_id"]
    done = caretrail(data, "case", "show", case_id, "--as", "school-001-sup", "--purpose", "月度检查")
    assert done.returncode == 0, done.stderr
    accounts = build_accounts(Settings(data_dir=data), lambda: datetime.now(UTC))
    try:
        entries = accounts.store.access_log(case_id=case_id, limit=50)
    finally:
        accounts.close()
    seen = {(e.resource, e.user_id, e.role, e.purpose) for e in entries}
    assert ("cli-case", "operator", "operator", "unstated") in seen  # the journey's `case show`
    assert ("cli-history", "operator", "operator", "unstated") in seen
    assert ("cli-case", "school-001-sup", "operator", "月度检查") in seen
    assert {e.school_id for e in entries} == {"school-001"}


def test_the_family_is_amended_from_the_shell_and_the_old_details_stay_in_history(
    journey: dict[str, Any]
) -> None:
    data, case_id = journey["data"], journey["identify"]["case_id"]
    before, amended = journey["show"], journey["amend"]
    assert amended["events"] == ["DetailsAmended"]
    assert amended["version"] == before["version"] + 1
    now = ok(data, "case", "show", case_id)
    assert now["guardian"] == {"name": "张阿姨", "relation": "aunt", "phone": None}
    then = ok(data, "case", "show", case_id, "--version", str(before["version"]))
    assert then["guardian"]["name"] == "李奶奶"


def test_serve_on_a_port_in_use_is_one_line_and_exit_1(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = caretrail(tmp_path / "data", "serve", "--port", str(port))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"caretrail: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert not (tmp_path / "data" / "events.sqlite").exists()  # nothing started
