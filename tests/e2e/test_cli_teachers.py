"""``caretrail teachers``: a school's roster from the shell, and what it lets a case name."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli import CHILD, caretrail, ok


def test_a_roster_teacher_is_added_listed_named_and_then_leaves(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = ok(data, "teachers", "add", "school-001-t01", "--school", "school-001", "--name", "王老师",
               "--role", "head_teacher", "--role", "mentor", "--joined", "2019-09-01")
    assert added["roles"] == ["head_teacher", "mentor"]
    assert added["name"] == "王老师"
    ok(data, "teachers", "add", "T002", "--school", "school-001", "--role", "subject_teacher")
    listed = ok(data, "teachers", "list", "--school", "school-001")
    assert [t["teacher_id"] for t in listed] == ["T002", "school-001-t01"]
    case = ok(data, "case", "identify", "--school", "school-001", "--student-no", "20260001", *CHILD)
    assert case["state"]

    refused = caretrail(data, "case", "identify", "--school", "school-001", "--student-no", "20260002",
                        *[a if a != "school-001-t01" else "T002" for a in CHILD])
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [
        "caretrail: T002 may not be the head teacher of a case of school school-001: "
        "not an active teacher of that school"]

    left = ok(data, "teachers", "leave", "school-001-t01", "--on", "2026-07-10")
    assert left == {"teacher_id": "school-001-t01", "school_id": "school-001", "left": True,
                    "left_on": "2026-07-10"}
    assert [t["teacher_id"] for t in ok(data, "teachers", "list", "--school", "school-001")] == ["T002"]
    assert len(ok(data, "teachers", "list", "--school", "school-001", "--all")) == 2
    again = caretrail(data, "case", "identify", "--school", "school-001", "--student-no", "20260003",
                      *CHILD)
    assert again.returncode == 1
    assert "school-001-t01 may not be" in again.stderr


def test_bad_roster_input_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for args, expected in [
        (["teachers", "leave", "nobody"], "caretrail: teacher nobody is not an active teacher of any school"),
        (["teachers", "add", "T1", "--school", "s1", "--role", "mentor", "--joined", "2026-02-30"],
         "caretrail: --joined: '2026-02-30' is not a date (YYYY-MM-DD)"),
    ]:
        done = caretrail(data, *args)
        assert done.returncode == 1, done.stderr
        assert done.stderr.strip() == expected
