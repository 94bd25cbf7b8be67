"""Least privilege in the open, through a real ``caretrail serve``: a child whose name and
guardian's phone are canaries goes through the server; its log lines, every list the API
answers, the escalations and the digest sent to a webhook, the outbox and the views hold
neither. Only the case route shows them, to the school's people, and each of those reads
is in the access log with its purpose. The files the server made are 0600 (directories
0700), its SQLite write-ahead logs included.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.bootstrap import build_accounts
from adapters.driven.auth.models import UserRole
from adapters.settings import Settings
from tests.e2e.file_modes import modes, wider_than_private
from tests.e2e.serving import CARETRAIL, free_port, start_serve, wait_serving, wait_until
from tests.integration.test_scheduler_webhook import Robot

#: The canaries: found anywhere but the case route, they are a leak.
NAME = "金丝雀童 Canarykid Qz7x"
PHONE = "13912345678"
CANARIES = (NAME, "金丝雀童", "Canarykid", PHONE)
SCHOOL, OTHER = "school-c", "school-d"
PEOPLE = {
    "teacher": ("c-teacher", UserRole.TEACHER, [SCHOOL]),
    "supervisor": ("c-supervisor", UserRole.SUPERVISOR, [SCHOOL]),
    "auditor": ("c-auditor", UserRole.AUDITOR, [SCHOOL]),
    "outsider": ("d-supervisor", UserRole.SUPERVISOR, [OTHER]),
}
#: The lists each person reads once the case is in the views.
LISTS = {
    "teacher": ["/cases", "/me/tasks?within_days=60"],
    "supervisor": ["/cases", "/follow-ups?status=open", "/follow-ups?status=overdue",
                   "/follow-ups/summary", "/me/tasks?within_days=60", "/stats"],
    "auditor": ["/audit/events", "/follow-ups?status=overdue", "/audit/access-log"],
}
Call = Callable[..., httpx.Response]


def leaks(text: str) -> list[str]:
    """The canaries ``text`` holds (as written, or JSON-escaped)."""
    return [c for c in CANARIES if c in text or json.dumps(c)[1:-1] in text]


def dump(path: Path) -> str:
    """Every row of every table of a SQLite file, as text."""
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def _env(data: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    return env | {"CARETRAIL_DATA_DIR": str(data), "CARETRAIL_LOG_FORMAT": "json", **more}


def _shell(data: Path, *args: str) -> str:
    """What a `caretrail` command prints (stdout and its log lines on stderr)."""
    done = subprocess.run([CARETRAIL, *args], capture_output=True, text=True, timeout=120,
                          check=False, env=_env(data))
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def _people(data: Path) -> dict[str, str]:
    """Everyone of PEOPLE a user with a token (as `caretrail users add` would make them)."""
    accounts = build_accounts(Settings(data_dir=data), lambda: datetime.now(UTC))
    try:
        tokens = {}
        for key, (user_id, role, schools) in PEOPLE.items():
            accounts.add_user(user_id, role, schools)
            tokens[key] = accounts.issue_token(user_id, days=2).token
        return tokens
    finally:
        accounts.close()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The server, its people, the canary child's case six weeks overdue, and what
    everyone saw; the server's whole log once it stopped."""
    data = tmp_path_factory.mktemp("in-the-open") / "data"
    tokens = _people(data)
    robot = Robot()
    port = free_port()
    hook = {"CARETRAIL_NOTIFIER": "webhook", "CARETRAIL_WEBHOOK_URL": robot.url}
    server = start_serve(data, port, CARETRAIL_SWEEP_SECONDS="0.5", **hook)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30)

    def call(who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens[who]}", **kwargs.pop("headers", {})}
        return client.request(method, path, headers=headers, **kwargs)

    seen: dict[str, Any] = {"data": data, "robot": robot}
    try:
        wait_serving(server, port)
        seen.update(_walk(call, robot))
        digest = subprocess.run([CARETRAIL, "digest", "--school", SCHOOL, "--send", "--json"],
                                capture_output=True, text=True, timeout=120, check=False,
                                env=_env(data, **hook))
        assert digest.returncode == 0, digest.stderr
        seen["digest"] = digest.stdout
        seen["shell"] = [_shell(data, "digest", "--school", SCHOOL, "--send"),  # the log notifier
                         _shell(data, "tasks", "--school", SCHOOL, "--overdue")]
        seen["lists"] = _lists(call, seen["position"])
        seen["access_log"] = call("auditor", "GET", "/audit/access-log",
                                  params={"case_id": seen["case_id"]}).json()
        seen["views"] = {p.name: dump(p) for p in sorted((data / "views").glob("*.sqlite"))}
        seen["modes"], seen["wider"] = modes(data), wider_than_private(data)
    finally:
        client.close()
        server.terminate()
        seen["log"] = server.communicate(timeout=60)[0]
        robot.server.shutdown()
    return seen


def _walk(call: Call, robot: Robot) -> dict[str, Any]:
    """The case opened six weeks ago, a note naming the child, a refused request carrying
    the canaries, two reads of the case; until the scheduler told the webhook."""
    long_ago = (datetime.now(UTC) - timedelta(days=45)).isoformat()
    body = {"school_id": SCHOOL, "student_no": "20260777", "occurred_at": long_ago,
            "child": {"name": NAME, "class_name": "三年级2班"}, "head_teacher_id": "c-teacher",
            "guardian": {"name": "李奶奶", "relation": "grandmother", "phone": PHONE},
            "parents": {"away": "both"},
            "consent": {"given_by": "李奶奶", "relation": "grandmother", "method": "verbal",
                        "witness": "王老师", "given_on": long_ago[:10]}}
    opened = call("teacher", "POST", "/cases", json=body)
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]
    note = call("teacher", "POST", f"/cases/{case_id}/notes", json={"text": f"{NAME} 今天笑了"})
    assert note.status_code == 200, note.text
    refused = call("teacher", "POST", "/cases", json={**body, "student_no": "bad no!"})
    assert refused.status_code == 422
    found = {
        "case_id": case_id, "position": note.json()["position"],
        "case_read": call("teacher", "GET", f"/cases/{case_id}", headers={"X-Purpose": "home visit"}),
        "outsider_read": call("outsider", "GET", f"/cases/{case_id}", headers={"X-Purpose": "curious"}),
    }
    wait_until(lambda: any("escalat" in r["raw"] for r in robot.requests), 60,
               "no escalation reached the webhook")
    return found


def _lists(call: Call, position: int) -> dict[str, httpx.Response]:
    """Every list each person may read, once the views show the case."""
    found = {}
    for who, paths in LISTS.items():
        for path in paths:
            params = {} if path in ("/stats", "/audit/access-log") else {"min_position": position}
            response = call(who, "GET", path, params=params)
            assert response.status_code == 200, (who, path, response.text)
            found[f"{who} {path}"] = response
    return found


# --------------------------------------------------------------------------- what is shown
def test_the_case_route_shows_the_child_to_the_schools_teacher_and_no_one_else(
    scenario: dict[str, Any]
) -> None:
    read = scenario["case_read"]
    assert read.status_code == 200
    assert read.json()["child"]["name"] == NAME
    assert read.json()["guardian"]["phone"] == PHONE
    assert leaks(read.text) == list(CANARIES)  # what the other tests look for, they would find
    outsider = scenario["outsider_read"]
    assert outsider.status_code == 404
    assert leaks(outsider.text) == []


def test_each_read_of_the_childs_data_is_in_the_access_log_with_its_purpose(
    scenario: dict[str, Any]
) -> None:
    entries = scenario["access_log"]["items"]
    assert [(e["user_id"], e["resource"], e["purpose"]) for e in entries] == [
        ("c-teacher", "case", "home visit")]
    assert all(e["case_id"] == scenario["case_id"] for e in entries)


# --------------------------------------------------------------------------- what is not
def test_no_list_carries_the_childs_name_or_the_guardians_phone(scenario: dict[str, Any]) -> None:
    lists = scenario["lists"]
    assert set(lists) == {f"{who} {path}" for who, paths in LISTS.items() for path in paths}
    overdue = lists["supervisor /follow-ups?status=overdue"].json()["items"]
    assert {t["case_id"] for t in overdue} == {scenario["case_id"]}  # the child is listed...
    assert {name: leaks(r.text) for name, r in lists.items() if leaks(r.text)} == {}  # ...unnamed


def test_the_escalations_and_the_digest_sent_to_the_webhook_carry_no_name(
    scenario: dict[str, Any]
) -> None:
    sent = [r["raw"] for r in scenario["robot"].requests]
    assert any("escalat" in raw for raw in sent)
    assert any(scenario["case_id"][:8] in raw for raw in sent)
    assert json.loads(scenario["digest"])["school_id"] == SCHOOL
    assert [leaks(raw) for raw in sent if leaks(raw)] == []
    assert leaks(scenario["digest"]) == []


def test_the_shells_digest_and_task_list_carry_no_name(scenario: dict[str, Any]) -> None:
    digest, tasks = scenario["shell"]
    assert '"school_digest"' in digest  # the log notifier's line
    assert scenario["case_id"] in tasks
    assert leaks(digest) == []
    assert leaks(tasks) == []


def test_the_outbox_and_the_views_hold_no_name(scenario: dict[str, Any]) -> None:
    views = scenario["views"]
    assert {"outbox.sqlite", "cases.sqlite", "follow_ups.sqlite"} <= set(views)
    assert scenario["case_id"] in views["cases.sqlite"]
    assert {name: leaks(text) for name, text in views.items() if leaks(text)} == {}


def test_the_servers_log_lines_are_json_and_carry_no_name(scenario: dict[str, Any]) -> None:
    lines = [line for line in scenario["log"].splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert any(r.get("case_id") == scenario["case_id"] for r in records)  # the case is named by id
    assert [line for line in lines if leaks(line)] == []


def test_the_files_the_server_made_are_its_users_alone(scenario: dict[str, Any]) -> None:
    found = scenario["modes"]
    for name in ("events.sqlite", "events.sqlite-wal", "events.sqlite-shm", "auth.sqlite",
                 "auth.key", "id.namespace", "views/outbox.sqlite", "views/outbox.sqlite-wal",
                 "views/cases.sqlite-wal"):
        assert name in found, sorted(found)
    assert scenario["wider"] == {}
