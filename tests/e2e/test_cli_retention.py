"""``caretrail retention plan|run`` from the real console script: a case closed from paper
records more than three years ago is listed without a name, then erased once."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli import CHILD, add_teachers, caretrail, ok


def _closed(data: Path, student_no: str, identified: str, closed: str) -> str:
    case_id: str = ok(data, "case", "identify", "--school", "school-001", "--student-no", student_no,
                      *CHILD, "--at", identified)["case_id"]
    ok(data, "case", "close", case_id, "--reason", "graduated", "--at", closed)
    return case_id


def test_the_plan_lists_what_the_run_erases_and_names_nobody(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_teachers(data, "school-001", "school-001-t01")
    old = _closed(data, "20190001", "2019-09-02T08:00", "2023-06-30T10:00")
    recent = _closed(data, "20220001", "2022-09-01T08:00", "2025-06-30T10:00")

    plan = caretrail(data, "retention", "plan")
    assert plan.returncode == 0, plan.stderr
    assert old in plan.stdout
    assert recent not in plan.stdout
    assert "王小明" not in plan.stdout
    assert "李奶奶" not in plan.stdout
    assert ok(data, "retention", "plan")["cases"][0]["case_id"] == old

    done = ok(data, "retention", "run")
    assert (done["due"], done["erased"], done["failed"]) == (1, 1, 0)
    shown = ok(data, "case", "show", old, "--purpose", "retention check")
    assert shown["child"]["name"] == "[erased]"
    assert ok(data, "case", "show", recent, "--purpose", "retention check")["child"]["name"] == "王小明"

    again = ok(data, "retention", "run")
    assert (again["due"], again["erased"]) == (0, 0)
    assert ok(data, "retention", "plan")["cases"] == []


def test_with_the_rule_off_run_refuses_in_one_line(tmp_path: Path) -> None:
    import os
    import subprocess

    from tests.e2e.test_cli import CARETRAIL

    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    env |= {"CARETRAIL_DATA_DIR": str(data), "CARETRAIL_RETENTION_YEARS": "0"}
    done = subprocess.run([CARETRAIL, "retention", "run"], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "CARETRAIL_RETENTION_YEARS=0" in lines[0]
    assert "Traceback" not in done.stderr
