"""``caretrail report`` in a subprocess over a store holding the known term
(tests/report_scenario.py): the workbook and the CSV it writes, and bad input refused in one
line with nothing written."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from adapters.bootstrap import build, build_accounts
from adapters.driving.exports import BOM
from adapters.settings import Settings
from tests import report_scenario
from tests.e2e.test_cli import caretrail
from tests.fakes import FakeClock

#: The term up to the report's day (so "still overdue" is counted at its end, as on NOW).
PERIOD = ["--from", "2026-09-01", "--to", "2026-10-09"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("report") / "data"
    clock = FakeClock()
    built = build(Settings(data_dir=data), clock=clock)
    try:
        report_scenario.build(built.cases, clock)
        built.runner.catch_up()
    finally:
        built.close()
    return data


def test_the_county_report_as_a_workbook(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "county.xlsx"
    done = caretrail(data_dir, "report", "--county", *PERIOD, "--out", str(out))
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames[:2] == ["报告说明", "情况摘要"]
    rows = [tuple(r) for r in book["情况摘要"].iter_rows(values_only=True)]
    assert [r[:3] for r in rows[1:]] == [("s1", 3, 3), ("s2", 1, 1), ("全部学校", 4, 4)]
    classes = {(r[0], r[1]): r[2:] for r in book["任务（按班级）"].iter_rows(min_row=2, values_only=True)}
    assert classes["s1", "三年级2班"] == (5, 0, 5)


def test_one_school_as_csv_in_english(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "s2.csv"
    done = caretrail(data_dir, "report", "--school", "s2", *PERIOD, "--format", "csv", "--lang", "en",
                     "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    at = rows.index(["Summary"])
    assert rows[at + 1][:2] == ["School", "Children followed"]
    assert rows[at + 2][:2] == ["s2", "1"]


def test_a_named_list_from_the_shell_is_access_logged(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "named.xlsx"
    done = caretrail(data_dir, "report", "--school", "s2", *PERIOD, "--named", "--purpose", "县里核对",
                     "--as", "op-1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    named = list(openpyxl.load_workbook(out)["儿童名单"].iter_rows(values_only=True))
    assert named[1][:3] == ("s2", "一年级1班", report_scenario.NAMES[3])
    accounts = build_accounts(Settings(data_dir=data_dir), FakeClock())
    try:
        log = accounts.store.access_log(school_ids=["s2"])
    finally:
        accounts.close()
    assert [(e.user_id, e.role, e.resource, e.purpose) for e in log] == [
        ("op-1", "operator", "cli-report-named", "县里核对")]


@pytest.mark.parametrize(("args", "message"), [
    (["--school", "s1", "--county"], "give --school S (one or more) or --county"),
    (["--county", "--from", "2026-10-01", "--to", "2026-09-01"], "ends (2026-09-01) before it starts"),
    (["--county", "--from", "1.9.2026"], "is not a date"),
    (["--county", "--named"], "--named needs --purpose"),
    (["--county", "--lang", "fr"], "--lang: fr is not one of"),
])
def test_bad_input_is_one_line_and_writes_nothing(
    data_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "never.xlsx"
    done = caretrail(data_dir, "report", *args, "--out", str(out))
    assert done.returncode == 1
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert not out.exists()
