"""The canary: a child's data written through the real CLI and the real HTTP server with
the default settings is found nowhere on disk or in the logs; after ``case erase`` not
even with the master key in hand.

The child is named with a canary (Chinese and Latin) that appears nowhere else, the
guardian has a canary phone, and a note repeats both. Every file under the data
directory (``-wal``/``-shm`` included), ``sqlite3 .dump`` of every database, and the
server's log output are searched for the canary in UTF-8 and for the phone.
"""

from __future__ import annotations

import json
import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from adapters.bootstrap import build, build_accounts
from adapters.driven.auth.models import UserRole
from adapters.settings import Settings
from tests.e2e.serving import free_port, start_serve, wait_serving
from tests.e2e.test_cli import add_teachers, caretrail, ok

CANARY_ZH = "鹬蚌雀"
CANARY_LATIN = "Quillbrook"
NAME = f"{CANARY_ZH}{CANARY_LATIN}"
PHONE = "13598761234"
NEEDLES = [CANARY_ZH.encode(), CANARY_LATIN.encode(), PHONE.encode()]


def _found_in_files(data: Path) -> list[str]:
    """Files (and sqlite3 dumps) under ``data`` holding a needle."""
    found = []
    for path in sorted(p for p in data.rglob("*") if p.is_file()):
        body = path.read_bytes()
        if any(n in body for n in NEEDLES):
            found.append(str(path))
        if path.suffix == ".sqlite":
            dump = subprocess.run(["sqlite3", str(path), ".dump"], capture_output=True, check=True,
                                  timeout=60).stdout
            if any(n in dump for n in NEEDLES):
                found.append(f"dump of {path}")
    return found


def _decrypted_everything(data: Path) -> str:
    """Everything the master key can open: every event and snapshot of every case, decoded
    (personal fields unsealed wherever a case key is left), as text."""
    caretrail_ = build(Settings(data_dir=data))
    try:
        cases = caretrail_.cases
        notes = cases.recorder.select_notifications(start=None, limit=100_000)
        texts = [json.dumps(cases.mapper.to_domain_event(n).model_dump(mode="json"), ensure_ascii=False)
                 for n in notes]
        for case_id in {n.originator_id for n in notes}:
            if cases.snapshots is not None:
                texts += [s.model_dump_json() for s in cases.snapshots.get(case_id)]
            texts.append(repr(cases.get_case(case_id).__dict__))
        return "\n".join(texts)
    finally:
        caretrail_.close()


def _token(data: Path) -> str:
    accounts = build_accounts(Settings(data_dir=data), lambda: datetime.now(UTC))
    try:
        accounts.add_user("s1-supervisor", UserRole.SUPERVISOR, ["s1"])
        return accounts.issue_token("s1-supervisor", days=30).token
    finally:
        accounts.close()


def _through_the_server(data: Path, case_id: str, token: str) -> tuple[str, dict[str, Any]]:
    """A note and a read through ``caretrail serve``; its log output and the case read."""
    port = free_port()
    proc = start_serve(data, port, "--no-scheduler")
    try:
        wait_serving(proc, port)
        headers = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{port}/api/v1/cases/{case_id}"
        noted = httpx.post(f"{base}/notes", json={"text": f"{NAME} 给 {PHONE} 打了电话"},
                           headers={**headers, "Idempotency-Key": "canary-note"}, timeout=10)
        assert noted.status_code == 200, noted.text
        read = httpx.get(base, headers={**headers, "X-Purpose": "canary"}, timeout=10)
        assert read.status_code == 200, read.text
    finally:
        proc.send_signal(signal.SIGTERM)
        log, _ = proc.communicate(timeout=30)
    return log, read.json()


def test_the_canary_is_nowhere_with_the_defaults_and_nowhere_at_all_after_erasure(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_teachers(data, "s1", "s1-t01")
    made = ok(data, "case", "identify", "--school", "s1", "--student-no", "99001", "--name", NAME,
              "--guardian-name", f"{CANARY_ZH}奶奶", "--guardian-relation", "grandmother",
              "--guardian-phone", PHONE, "--head-teacher", "s1-t01", "--class", "三年级2班")
    case_id = made["case_id"]
    ok(data, "case", "note", case_id, f"{NAME} 想妈妈 {PHONE}", "--as", "s1-t01")
    log, read = _through_the_server(data, case_id, _token(data))
    assert read["child"]["name"] == NAME  # the data is there, for whoever may read it
    assert log.count("\n") > 3
    assert not any(n.decode() in log for n in NEEDLES)
    assert _found_in_files(data) == []
    assert NAME in _decrypted_everything(data)  # the master key and the case key open it

    erased = ok(data, "case", "erase", case_id, "--reason", "guardian_request")
    assert erased["case_key_destroyed"] is True
    again = caretrail(data, "case", "erase", case_id, "--reason", "guardian_request")
    assert again.returncode == 1
    assert again.stderr.strip().endswith("is already erased: nothing changed")
    assert len(again.stderr.strip().splitlines()) == 1
    assert _found_in_files(data) == []
    everything = _decrypted_everything(data)
    assert str(UUID(case_id)) in everything  # the skeleton is still there...
    assert not any(n.decode() in everything for n in NEEDLES)  # ...the child is not
    shown = caretrail(data, "case", "show", case_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["child"]["name"] == "[erased]"
    assert not any(n.decode() in shown.stdout for n in NEEDLES)
    assert "Erased" in caretrail(data, "case", "history", case_id).stdout
