"""``caretrail users``, ``caretrail tokens`` and ``caretrail serve``."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from typer.testing import CliRunner

from adapters.driven.clock import Clock
from adapters.driving.cli.main import cli

runner = CliRunner()
MAIN = "from adapters.driving.cli.main import main; main()"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CARETRAIL_DATA_DIR", str(tmp_path))
    return tmp_path


def _json(*args: str) -> dict[str, object]:
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_users_add_is_idempotent_with_if_missing_and_refuses_a_changed_role(data_dir: Path) -> None:
    added = _json("users", "add", "--name", "school-001-t01", "--role", "teacher", "--school", "school-001")
    assert (added["user_id"], added["role"], added["schools"], added["created"]) == (
        "school-001-t01", "teacher", ["school-001"], True)
    again = _json("users", "add", "--name", "school-001-t01", "--role", "teacher",
                  "--school", "school-001", "--if-missing")
    assert again["created"] is False
    changed = runner.invoke(cli, ["users", "add", "--name", "school-001-t01", "--role", "auditor",
                                  "--school", "school-001", "--if-missing"])
    assert changed.exit_code != 0


def test_a_teacher_needs_a_school(data_dir: Path) -> None:
    result = runner.invoke(cli, ["users", "add", "--name", "lonely", "--role", "teacher"])
    assert result.exit_code != 0


def test_tokens_issue_list_and_revoke(data_dir: Path) -> None:
    _json("users", "add", "--name", "sup", "--role", "supervisor", "--school", "s1")
    issued = _json("tokens", "issue", "--user", "sup", "--days", "7", "--label", "laptop")
    assert str(issued["token"]).startswith("ct_")
    listed = _json("tokens", "list", "--user", "sup")
    assert "token" not in json.dumps(listed).replace('"token_id"', "")
    assert [t["token_id"] for t in listed] == [issued["token_id"]]  # type: ignore[index]
    revoked = _json("tokens", "revoke", str(issued["token_id"]))
    assert revoked == {"revoked": [issued["token_id"]]}
    assert runner.invoke(cli, ["tokens", "revoke", str(issued["token_id"])]).exit_code != 0


def test_an_unknown_user_is_one_line_on_stderr_not_a_traceback(data_dir: Path) -> None:
    env = {**os.environ, "CARETRAIL_DATA_DIR": str(data_dir)}
    done = subprocess.run([sys.executable, "-c", MAIN, "tokens", "issue", "--user", "ghost"],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1
    assert done.stderr.strip() == "caretrail: no user ghost"


@pytest.mark.parametrize(("args", "message"), [
    (["users", "add", "--name", "t9", "--role", "teacher", "--school", "s1",
      "--display-name", "a\nb\x01"], "a display name holds no control characters"),
    (["tokens", "issue", "--user", "t1", "--label", "x" * 65], "a label has 1 to 64 characters"),
    (["tokens", "issue", "--user", "t1", "--label", "two\nlines"], "a label holds no control"),
])
def test_names_and_labels_shown_in_lists_are_one_short_line(
    data_dir: Path, args: list[str], message: str
) -> None:
    _json("users", "add", "--name", "t1", "--role", "teacher", "--school", "s1")
    result = runner.invoke(cli, args)
    assert result.exit_code != 0
    assert message in str(result.exception)
    assert [u["user_id"] for u in _json("users", "list")] == ["t1"]  # type: ignore[index]
    assert _json("tokens", "list", "--user", "t1") == []


def test_adding_a_disabled_user_again_says_it_is_disabled(data_dir: Path) -> None:
    spec = ["users", "add", "--name", "t1", "--role", "teacher", "--school", "s1"]
    _json(*spec)
    _json("users", "disable", "t1")
    result = runner.invoke(cli, [*spec, "--if-missing"])
    assert result.exit_code != 0
    assert "user t1 already exists and is disabled" in str(result.exception)


def test_users_invite_prints_a_link_that_the_accounts_accept(data_dir: Path) -> None:
    from adapters.bootstrap import build_accounts
    from adapters.settings import Settings

    _json("users", "add", "--name", "t1", "--role", "teacher", "--school", "s1")
    result = runner.invoke(cli, ["users", "invite", "t1"], env={"CARETRAIL_PUBLIC_URL": "https://ct.example.cn"})
    assert result.exit_code == 0, result.output
    first, link = result.stdout.splitlines()
    assert re.fullmatch(r"invitation for t1, valid until \d{4}-\d\d-\d\d \d\d:\d\d \(Asia/Shanghai\):", first)
    assert link.startswith("https://ct.example.cn/invite/inv_")
    as_json = _json("users", "invite", "t1")
    assert set(as_json) == {"user_id", "url", "expires_at", "purpose"}
    school_time = datetime.fromisoformat(str(as_json["expires_at"])).astimezone(ZoneInfo("Asia/Shanghai"))
    shown = datetime.strptime(first.split("until ")[1][:16], "%Y-%m-%d %H:%M")
    assert timedelta(0) <= school_time.replace(tzinfo=None) - shown < timedelta(minutes=2)
    assert (as_json["user_id"], as_json["purpose"]) == ("t1", "invite")
    accounts = build_accounts(Settings(), Clock())
    try:
        assert accounts.invitation(link.rsplit("/", 1)[1]) is None  # withdrawn by the second link
        found = accounts.invitation(str(as_json["url"]).rsplit("/", 1)[1])
        assert found is not None
        assert found.user_id == "t1"
        assert found.expires_at == datetime.fromisoformat(str(as_json["expires_at"]))
    finally:
        accounts.close()


def test_users_invite_either_sends_a_reset_once_the_user_has_a_password(data_dir: Path) -> None:
    from adapters.bootstrap import build_accounts
    from adapters.settings import Settings

    _json("users", "add", "--name", "t1", "--role", "teacher", "--school", "s1")
    first = runner.invoke(cli, ["users", "invite", "t1", "--either", "--quiet"])
    assert first.exit_code == 0, first.output
    link = first.stdout.strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/invite/inv_[A-Za-z0-9_-]{43}", link)
    accounts = build_accounts(Settings(), Clock())
    try:
        accounts.set_password(link.rsplit("/", 1)[1], "a-long-password")
    finally:
        accounts.close()
    again = _json("users", "invite", "t1", "--either")
    assert again["purpose"] == "reset"


def test_users_invite_reset_for_a_user_without_a_password_is_one_line_exit_1(data_dir: Path) -> None:
    _json("users", "add", "--name", "t1", "--role", "teacher", "--school", "s1")
    env = {**os.environ, "CARETRAIL_DATA_DIR": str(data_dir)}
    done = subprocess.run([sys.executable, "-c", MAIN, "users", "invite", "t1", "--reset"],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1
    assert done.stderr.strip() == "caretrail: user t1 has no password to reset yet: invite them instead"
    assert done.stdout == ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_answers_with_a_token_logs_json_lines_and_stops_cleanly(data_dir: Path, stop: int) -> None:
    _json("users", "add", "--name", "sup", "--role", "supervisor", "--school", "s1")
    token = _json("tokens", "issue", "--user", "sup")["token"]
    port = _free_port()
    env = {**os.environ, "CARETRAIL_DATA_DIR": str(data_dir), "CARETRAIL_LOG_FORMAT": "json"}
    proc = subprocess.Popen(
        [sys.executable, "-c", MAIN, "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # wait for the process to listen (start-up, not behaviour under test)
            try:
                me = httpx.get(f"http://127.0.0.1:{port}/api/v1/me",
                               headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert me.json()["user_id"] == "sup"
        ready = httpx.get(f"http://127.0.0.1:{port}/api/v1/readyz")
        assert ready.json()["ready"] is True
    finally:
        proc.send_signal(stop)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "http_request"]
    assert [(r["route"], r["status"], r["user_id"]) for r in requests] == [
        ("/api/v1/me", 200, "sup"), ("/api/v1/readyz", 200, None)]
    assert str(token) not in output
