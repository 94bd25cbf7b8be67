"""The scale-out shape on PostgreSQL: migrate, one `caretrail worker`, API worker processes."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.postgres.conftest import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _caretrail(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(ROOT, ".venv/bin/caretrail")), *args], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=120,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _up(url: str, proc: subprocess.Popen[str], deadline: float) -> None:
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling for a process to come up, bounded by the deadline
    raise AssertionError(f"{url} did not come up")


def test_two_api_workers_and_one_background_worker_serve_one_store(
    pg_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**pg_env, "CARETRAIL_TOKEN_KEY": "test-key-shared-by-every-process-0123456789"}
    assert _caretrail(env, "migrate").returncode == 0
    added = _caretrail(env, "users", "add", "--name", "t1", "--role", "teacher", "--school", "s1")
    assert added.returncode == 0, added.stderr
    issued = _caretrail(env, "tokens", "issue", "--user", "t1", "--quiet")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()

    port = _free_port()
    worker = subprocess.Popen([str(Path(ROOT, ".venv/bin/caretrail")), "worker"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    api = subprocess.Popen(
        [str(Path(ROOT, ".venv/bin/caretrail")), "serve", "--port", str(port), "--workers", "2",
         "--no-scheduler"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _up(f"{base}/api/v1/healthz", api, time.monotonic() + 60)
        headers = {"Authorization": f"Bearer {token}"}
        body = {
            "school_id": "s1", "student_no": "20260001", "head_teacher_id": "t1",
            "child": {"name": "王小明"}, "guardian": {"name": "李奶奶", "relation": "grandmother"},
            "parents": {"away": "both"},
        }
        created = httpx.post(f"{base}/api/v1/cases", json=body, headers=headers, timeout=10)
        assert created.status_code == 201, created.text
        position = created.json()["position"]
        for _ in range(10):  # new connections each time: any API worker reads the same views
            listed = httpx.get(f"{base}/api/v1/cases", params={"school_id": "s1",
                               "min_position": position}, headers=headers, timeout=10)
            assert listed.status_code == 200, listed.text
            assert [c["case_id"] for c in listed.json()["items"]] == [created.json()["case_id"]]
    finally:
        for proc in (api, worker):
            proc.send_signal(signal.SIGTERM)
        outputs = [proc.communicate(timeout=30) for proc in (api, worker)]
    assert api.returncode == 0, outputs[0][1]
    assert worker.returncode == 0, outputs[1][1]
    worker_output = outputs[1][0] + outputs[1][1]
    log_lines = [json.loads(line) for line in worker_output.splitlines() if line.startswith("{")]
    assert any(line.get("event") == "worker_started" for line in log_lines)


def test_a_process_started_before_migrate_refuses_with_a_clear_line(pg_env: dict[str, str]) -> None:
    before = _caretrail(pg_env, "tasks")
    assert before.returncode == 1
    assert before.stderr.strip().splitlines() == [
        f"caretrail: the PostgreSQL schema {pg_env['CARETRAIL_POSTGRES_SCHEMA']} has no caretrail "
        "tables: run `caretrail migrate` once"
    ]
    assert _caretrail(pg_env, "migrate").returncode == 0
    assert _caretrail(pg_env, "tasks").returncode == 0
