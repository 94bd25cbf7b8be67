"""``caretrail import children|teachers`` from the shell: a dry run first, the import, a
second run adding nothing; every bad file one line on stderr, and nothing written."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from adapters.bootstrap import build
from adapters.driving.imports.samples import children_rows, write_csv, write_xlsx
from adapters.settings import Settings
from tests.e2e.test_cli import caretrail, ok

SCHOOL = "school-001"
TODAY = datetime.now(UTC).date() - timedelta(days=1)
#: What Excel saves for a workbook with a password: an OLE compound file whose directory
#: names an "EncryptedPackage" stream (UTF-16).
ENCRYPTED = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")


def _position(data: Path) -> int:
    built = build(Settings(data_dir=data))
    try:
        return built.cases.position()
    finally:
        built.close()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data directory whose school has two head teachers on its roster (from a register)."""
    found = tmp_path / "data"
    roster = tmp_path / "teachers.csv"
    roster.write_bytes("工号,姓名,角色,入职日期\nT01,李明,班主任、结对教师,2019-09-01\n"
                       "T02,王芳,班主任,2020/9/1\n".encode("gb18030"))
    report = ok(found, "import", "teachers", str(roster), "--school", SCHOOL)
    assert report["created"] == 2
    return found


def test_a_register_is_checked_imported_and_imported_again_for_nothing(data: Path, tmp_path: Path) -> None:
    rows = children_rows(30, ["T01", "王芳老师"], today=TODAY)
    rows[4]["birth_date"] = "2016-02-30"
    rows[7]["student_no"] = rows[8]["student_no"]
    register = tmp_path / "花名册.xlsx"
    register.write_bytes(write_xlsx(rows, title="某某小学留守儿童花名册"))
    dry = caretrail(data, "import", "children", str(register), "--school", SCHOOL, "--dry-run",
                    "--lang", "zh_CN")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "第 7 行：“出生日期”：2016-02-30 不是有效日期",  # row 1: the title; 2: the header
        f"第 10 行：学号 {rows[8]['student_no']} 在第 11 行重复出现",
        f"第 11 行：学号 {rows[8]['student_no']} 在第 10 行重复出现",
        "试运行：未写入任何数据。将新建 27 条，已存在 0 条，被拒绝 3 条。",
    ]
    assert dry.stderr == ""  # no progress bar: stderr is not a terminal
    assert _position(data) == 0
    done = ok(data, "import", "children", str(register), "--school", SCHOOL)
    assert (done["created"], done["skipped"], len(done["refused"])) == (27, 0, 3)
    position = _position(data)
    again = ok(data, "import", "children", str(register), "--school", SCHOOL)
    assert (again["created"], again["skipped"]) == (0, 27)
    assert _position(data) == position
    listed = ok(data, "tasks", "--school", SCHOOL, "--overdue")
    assert listed  # the register's past dates make tasks overdue today


def test_a_csv_register_in_gb18030_with_english_headings_imports(data: Path, tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_bytes(write_csv(children_rows(5, ["T02"], today=TODAY), "en", encoding="gb18030"))
    done = caretrail(data, "import", "children", str(register), "--school", SCHOOL, "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5 created, 0 already there (skipped), 0 refused."


def _merged_header() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["学号", "姓名", "监护人", None, "父母外出情况", "班主任"])
    sheet.append([None, None, "姓名", "与儿童关系", None, None])
    sheet.merge_cells("C1:D1")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _bad_files() -> list[tuple[str, bytes | None, str]]:
    rows = 100_001
    many = "学号,姓名,监护人,与儿童关系,父母外出情况,班主任\n" + "".join(
        f"{n},王小明,李奶奶,奶奶,双亲外出,T01\n" for n in range(rows))
    xlsx = write_xlsx(children_rows(3, ["T01"], today=TODAY))
    return [
        ("r.pdf", b"%PDF-1.7\n...", "这不是 .xlsx 工作簿或 .csv 文件（旧版 .xls 请另存为 .xlsx）。"),
        ("r.xlsx", ENCRYPTED, "工作簿设有密码保护：请取消密码后另存，再导入。"),
        ("r.xlsx", xlsx[: len(xlsx) // 2], "该 .xlsx 文件已损坏，无法读取。"),
        ("big.csv", None, "文件超过 20 MB：请拆分花名册。"),
        ("many.csv", many.encode(), "花名册超过 100000 行：请拆分。"),
        ("merged.xlsx", _merged_header(), "表头行有合并单元格（C1:D1）：请取消合并，使每列都有自己的标题。"),
        ("empty.xlsx", write_xlsx([]), "工作表是空的：没有任何记录。"),
    ]


def test_every_bad_file_is_one_line_and_writes_nothing(data: Path, tmp_path: Path) -> None:
    for name, content, message in _bad_files():
        path = tmp_path / name
        if content is None:  # over 20 MB without writing 20 MB
            with path.open("wb") as f:
                f.truncate(20 * 1024 * 1024 + 1)
        else:
            path.write_bytes(content)
        done = caretrail(data, "import", "children", str(path), "--school", SCHOOL, "--lang", "zh_CN")
        assert done.returncode == 1, (name, done.stdout)
        assert done.stderr == f"caretrail: {message}\n", name
        assert done.stdout == ""
    assert _position(data) == 0


def test_the_teachers_register_reports_its_bad_rows(data: Path, tmp_path: Path) -> None:
    roster = tmp_path / "teachers.xlsx"
    rows = [{"teacher_id": "T03", "name": "赵强", "roles": "心理辅导教师"},
            {"teacher_id": "T04", "name": "钱敏", "roles": "校长"},
            {"teacher_id": "T01", "name": "李明", "roles": "班主任、结对教师", "joined_on": "2019-09-01"}]
    roster.write_bytes(write_xlsx(rows, fields=("teacher_id", "name", "roles", "joined_on")))
    done = caretrail(data, "import", "teachers", str(roster), "--school", SCHOOL, "--lang", "en",
                     "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["created_rows"], report["skipped_rows"]) == ([2], [4])
    assert [r["message"] for r in report["refused"]] == [
        "校长 is not a role (head teacher, subject teacher, counselling teacher, mentor)"]
    listed = ok(data, "teachers", "list", "--school", SCHOOL)
    assert [t["teacher_id"] for t in listed] == ["T01", "T02", "T03"]
