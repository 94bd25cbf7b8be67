"""The school year from the shell: a class amended, a teacher's hand-over, the roll-over,
closing many cases; bad input is one line on stderr and changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import add_teachers, caretrail, ok

SCHOOL = "school-001"
CHILD = ["--guardian-name", "李奶奶", "--guardian-relation", "grandmother"]


def _identify(data: Path, n: int, class_name: str, head: str = "t-head") -> str:
    created = ok(data, "case", "identify", "--school", SCHOOL, "--student-no", f"2026{n:04d}",
                 "--name", f"孩子{n}", *CHILD, "--head-teacher", head, "--class", class_name)
    return str(created["case_id"])


def _position(data: Path) -> int:
    return int(ok(data, "init")["position"])


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("school-year") / "data"
    add_teachers(data, SCHOOL, "t-head", "t-head-2", "t-mentor", "t-mentor-2")
    ids = [_identify(data, 1, "三年级2班"), _identify(data, 2, "三年级2班"), _identify(data, 3, "六年级1班")]
    ok(data, "case", "visit", ids[0])
    ok(data, "case", "pair", ids[0], "--mentor", "t-mentor")
    return {"data": data, "ids": ids}


def test_a_class_is_amended_from_the_shell_and_the_case_shows_it(school: dict[str, Any]) -> None:
    data, case_id = school["data"], school["ids"][1]
    amended = ok(data, "case", "amend", case_id, "--class", "三年级3班", "--parents-phone", "13500000000")
    assert amended["events"] == ["DetailsAmended"]
    shown = ok(data, "case", "show", case_id)
    assert (shown["child"]["class_name"], shown["parents"]["phone"]) == ("三年级3班", "13500000000")
    ok(data, "case", "amend", case_id, "--class", "三年级2班")


def test_a_teachers_hand_over_is_planned_then_done_once(school: dict[str, Any]) -> None:
    data, ids = school["data"], school["ids"]
    plan = caretrail(data, "teachers", "handover", "t-head", "--to-head-teacher", "t-head-2", "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert "hand-over of t-head (dry run): 3 case(s)" in plan.stdout
    assert "孩子1 · 三年级2班" in plan.stdout
    position = _position(data)
    done = ok(data, "teachers", "handover", "t-head", "--to-head-teacher", "t-head-2",
              "--to-mentor", "t-mentor-2")
    assert (len(done["moved"]), done["refused"]) == (3, [])
    assert {ok(data, "case", "show", c)["head_teacher_id"] for c in ids} == {"t-head-2"}
    assert _position(data) > position
    again = caretrail(data, "teachers", "handover", "t-head", "--to-head-teacher", "t-head-2")
    assert "holds nothing on any open case" in again.stdout


def test_the_roll_over_runs_dry_then_for_real_then_changes_nothing(
    school: dict[str, Any], tmp_path: Path
) -> None:
    data, ids = school["data"], school["ids"]
    mapping = tmp_path / "map.txt"
    mapping.write_text("三年级2班 → 四年级2班\n", encoding="utf-8")
    plan = caretrail(data, "school", "rollover", "--school", SCHOOL, "--map", str(mapping),
                     "--graduating", "六年级1班", "--year", "2026", "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert "三年级2班 -> 四年级2班: 2 child(ren)" in plan.stdout
    assert "六年级1班 -> graduated: 1 child(ren)" in plan.stdout
    done = ok(data, "school", "rollover", "--school", SCHOOL, "--map", str(mapping),
              "--graduating", "六年级1班", "--year", "2026")
    assert (done["moved"], done["graduated"]) == (2, 1)
    shown = ok(data, "case", "show", ids[0])
    assert shown["child"]["class_name"] == "四年级2班"
    assert "start_of_year_recheck" in {t["kind"] for t in shown["follow_ups"]}
    assert ok(data, "case", "show", ids[2])["state"] == "closed"
    position = _position(data)
    again = ok(data, "school", "rollover", "--school", SCHOOL, "--map", str(mapping),
               "--graduating", "六年级1班", "--year", "2026")
    assert (again["moved"], again["already"]) == (0, 2)
    assert _position(data) == position


def test_many_cases_close_with_one_reason_and_the_report_says_what_happened(
    school: dict[str, Any], tmp_path: Path
) -> None:
    data, ids = school["data"], school["ids"]
    listed = tmp_path / "ids.txt"
    listed.write_text(f"{ids[0]}\n# left in June\n{ids[2]}\n", encoding="utf-8")
    done = ok(data, "case", "close-many", "--reason", "left_school", "--file", str(listed), ids[1])
    assert (done["closed"], done["skipped"]) == ([ids[1], ids[0]], [ids[2]])


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One case of 三年级2班 whose head teacher is t-head-2, and a mapping naming a class no
    child is in."""
    data = tmp_path_factory.mktemp("bad-input") / "data"
    add_teachers(data, SCHOOL, "t-head-2")
    mapping = data.parent / "map.txt"
    mapping.write_text("三年级2班 -> 四年级2班\n一年级9班 -> 二年级9班\n", encoding="utf-8")
    return {"data": data, "case_id": _identify(data, 1, "三年级2班", head="t-head-2"), "map": str(mapping)}


@pytest.mark.parametrize(("args", "expected"), [
    (["teachers", "handover", "t-head-2", "--to-head-teacher", "ghost-teacher"],
     "ghost-teacher may not be the head teacher of a case of school school-001"),
    (["teachers", "handover", "t-head-2"], "name the head teacher (--to-head-teacher)"),
    (["school", "rollover", "--school", SCHOOL, "--map", "MAP"],
     "school school-001 has no child in class 一年级9班"),
    (["case", "close-many", "--reason", "moved_away", "ID"], "Invalid value for '--reason'"),
    (["case", "close-many", "--reason", "left_school", "not-a-uuid"], "not-a-uuid"),
])
def test_bad_input_is_one_line_and_nothing_is_written(
    bare: dict[str, Any], args: list[str], expected: str
) -> None:
    data = bare["data"]
    args = [bare["map"] if a == "MAP" else bare["case_id"] if a == "ID" else a for a in args]
    position = _position(data)
    done = caretrail(data, *args)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    if done.returncode == 2:  # a usage error: typer's usage line, then the problem
        assert done.stderr.startswith("Usage: caretrail")
    else:
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert expected in done.stderr
    assert _position(data) == position
