"""The guardian's consent and access request from the real ``caretrail`` console script."""

from __future__ import annotations

import csv
import io
import json
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.bootstrap import build_accounts
from adapters.driven.auth.models import UserRole
from adapters.settings import Settings
from tests.e2e.test_cli import CHILD, add_teachers, caretrail, ok, store


def _add_user(data: Path, user_id: str, role: UserRole, schools: list[str]) -> None:
    accounts = build_accounts(Settings(data_dir=data), lambda: datetime.now(UTC))
    try:
        accounts.add_user(user_id, role, schools)
    finally:
        accounts.close()


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two children identified from the shell, one with consent, one given it later and
    withdrawn; a read of the first; every command's JSON output."""
    data = tmp_path_factory.mktemp("privacy") / "data"
    add_teachers(data, "school-001", "school-001-t01")
    _add_user(data, "school-001-sup", UserRole.SUPERVISOR, ["school-001"])
    _add_user(data, "school-002-sup", UserRole.SUPERVISOR, ["school-002"])
    _add_user(data, "admin", UserRole.ADMIN, [])
    out: dict[str, Any] = {"data": data}
    out["signed"] = ok(data, "case", "identify", "--school", "school-001", "--student-no", "20260001",
                       *CHILD, "--consent-form", "XJ-2026-0042", "--consent-date", "2026-08-28")
    out["later"] = ok(data, "case", "identify", "--school", "school-001", "--student-no", "20260002",
                      *CHILD)
    later = out["later"]["case_id"]
    out["consent"] = ok(data, "case", "consent", later, "--by", "李奶奶", "--relation", "grandmother",
                        "--consent-witness", "王老师", "--consent-date", "2026-08-30")
    out["withdraw"] = ok(data, "case", "withdraw-consent", later, "--by", "李奶奶",
                         "--relation", "grandmother", "--note", "要搬走了")
    out["show"] = ok(data, "case", "show", out["signed"]["case_id"], "--purpose", "home visit")
    out["show_later"] = ok(data, "case", "show", later)
    return out


def test_consent_given_at_identification_and_later_is_on_the_case(shell: dict[str, Any]) -> None:
    assert shell["show"]["consent"] == {
        "given_by": "李奶奶", "relation": "grandmother", "method": "signed_form",
        "form_number": "XJ-2026-0042", "witness": None, "given_on": "2026-08-28"}
    assert shell["consent"]["events"] == ["ConsentRecorded"]
    assert shell["show_later"]["consent"]["witness"] == "王老师"


def test_a_withdrawal_from_the_shell_opens_the_supervisors_erasure_decision(shell: dict[str, Any]) -> None:
    assert shell["withdraw"]["events"][0] == "ConsentWithdrawn"
    assert [(t["kind"], t["assignee_role"]) for t in shell["withdraw"]["scheduled"]] == [
        ("erasure_decision", "supervisor")]
    assert shell["show_later"]["consent_withdrawal"]["note"] == "要搬走了"


@pytest.mark.parametrize(("args", "message"), [
    (["--consent-form", "XJ-1", "--consent-witness", "王老师"], "--consent-form NUMBER or --consent-witness"),
    (["--consent-date", "2026-08-28"], "--consent-form NUMBER or --consent-witness"),
    (["--consent-form", "XJ-1", "--consent-date", "28.08.2026"], "is not a date"),
])
def test_a_consent_stated_wrongly_is_one_line_and_records_nothing(
    shell: dict[str, Any], args: list[str], message: str
) -> None:
    data = shell["data"]
    before = store(data, shell["signed"]["case_id"])
    done = caretrail(data, "case", "identify", "--school", "school-001", "--student-no", "20260003",
                     *CHILD, *args)
    assert done.returncode == 1
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert store(data, shell["signed"]["case_id"]) == before


def test_the_access_request_is_a_file_of_the_childs_data_and_its_readers_mode_0600(
    shell: dict[str, Any], tmp_path: Path
) -> None:
    data, case_id = shell["data"], shell["signed"]["case_id"]
    out = tmp_path / "answer.csv"
    done = caretrail(data, "case", "access-request", case_id, "--format", "csv", "--out", str(out),
                     "--purpose", "监护人查阅请求", "--as", "school-001-sup")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["record"] for r in rows][:2] == ["request", "event"]
    identified = json.loads(rows[1]["data"])
    assert (identified["child"]["name"], identified["consent"]["form_number"]) == ("王小明", "XJ-2026-0042")
    reads = [(r["who"], r["role"], r["type"], r["purpose"]) for r in rows if r["record"] == "access"]
    assert reads == [("operator", "operator", "cli-case", "home visit"),
                     ("school-001-sup", "supervisor", "cli-access-request", "监护人查阅请求")]


def test_the_access_request_goes_to_standard_output_as_json_lines(shell: dict[str, Any]) -> None:
    done = caretrail(shell["data"], "case", "access-request", shell["later"]["case_id"],
                     "--purpose", "guardian request", "--as", "admin")  # an admin: any school
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert {r["record"] for r in records} == {"request", "event", "access"}
    assert [r["type"] for r in records if r["record"] == "event"][-2:] == [
        "ConsentWithdrawn", "FollowUpScheduled"]
    assert (records[0]["who"], records[0]["role"]) == ("admin", "admin")


@pytest.mark.parametrize("who", ["school-001-t01", "school-002-sup", "nobody"])
def test_only_a_supervisor_of_the_school_or_an_admin_answers_from_the_shell(
    shell: dict[str, Any], who: str
) -> None:
    done = caretrail(shell["data"], "case", "access-request", shell["signed"]["case_id"],
                     "--purpose", "guardian request", "--as", who)
    assert done.returncode == 1
    assert "only an admin or a supervisor of school-001" in done.stderr
    assert done.stdout == ""
