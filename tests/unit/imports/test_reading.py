"""Reading registers: both formats, both encodings, both header languages; every bad file
refused with its reason before a row is used."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from adapters.driving.imports import reading
from adapters.driving.imports.columns import CHILD_COLUMNS, CHILD_REQUIRED, locate
from adapters.driving.imports.reading import FileRefused, Table, read_table
from adapters.driving.imports.samples import children_rows, write_csv, write_xlsx

ROWS = children_rows(3, ["T01"], today=date(2026, 8, 31))


def _read(data: bytes, name: str = "register.xlsx") -> Table:
    return read_table(data, name, CHILD_COLUMNS, CHILD_REQUIRED)


def _refused(data: bytes, name: str = "register.xlsx") -> FileRefused:
    with pytest.raises(FileRefused) as raised:
        _read(data, name)
    return raised.value


def _fields(table: Table) -> list[dict[str, str]]:
    where = locate(table.header, CHILD_COLUMNS)
    return [{k: str(values[i]) for k, i in where.items() if values[i] not in (None, "")}
            for _, values in table.rows]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("form", ["xlsx", "utf-8-sig", "utf-8", "gb18030"])
def test_a_register_reads_the_same_in_every_format_encoding_and_header_language(
    form: str, language: str,
) -> None:
    data = (write_xlsx(ROWS, language) if form == "xlsx"
            else write_csv(ROWS, language, encoding=form))
    table = _read(data, "register.xlsx" if form == "xlsx" else "register.csv")
    assert [n for n, _ in table.rows] == [2, 3, 4]
    found = _fields(table)
    assert [f["name"] for f in found] == [r["name"] for r in ROWS]
    assert [f["student_no"] for f in found] == [r["student_no"] for r in ROWS]
    assert found[0]["birth_date"].startswith(ROWS[0]["birth_date"].isoformat())


def test_a_title_row_above_the_header_is_passed_over_even_merged() -> None:
    table = _read(write_xlsx(ROWS, title="某某小学留守儿童花名册"))
    assert table.header_row == 2
    assert [n for n, _ in table.rows] == [3, 4, 5]


def test_a_formula_cell_gives_its_stored_value_and_is_never_evaluated() -> None:
    book = load_workbook(io.BytesIO(write_xlsx(ROWS[:1])))
    book.active["E2"] = '=HYPERLINK("http://example.invalid","三年级2班")'  # 班级
    out = io.BytesIO()
    book.save(out)  # openpyxl stores no computed value: Excel never opened the file
    (_, values), = _read(out.getvalue()).rows
    assert values[4] is None
    assert values[1] == ROWS[0]["name"]


def test_a_merged_header_cell_refuses_the_file() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["学号", "姓名", None, "监护人"])
    sheet.merge_cells("B1:C1")
    sheet.append(["20260001", "王小明", None, "李奶奶"])
    out = io.BytesIO()
    book.save(out)
    refused = _refused(out.getvalue())
    assert (refused.code, refused.params) == ("merged-header", {"cells": "B1:C1"})


def test_an_empty_sheet_a_header_alone_and_no_header_are_refused() -> None:
    assert _refused(write_xlsx([])).code == "empty"
    assert _refused(b"\xef\xbb\xbf\r\n", "register.csv").code == "empty"
    assert _refused(blank_workbook()).code == "empty"
    assert _refused("姓名,年龄\n王小明,9\n".encode(), "register.csv").code == "no-header"


def blank_workbook() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def test_what_is_not_a_spreadsheet_is_refused() -> None:
    assert _refused(b"%PDF-1.7 ...", "register.pdf").code == "not-a-spreadsheet"
    assert _refused(b"\x89PNG\r\n\x1a\n\x00\x00", "register.csv").code == "not-a-spreadsheet"
    assert _refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "old.xls").code == (
        "not-a-spreadsheet")  # an Excel 97 workbook


def test_an_encrypted_workbook_is_refused_as_such() -> None:
    # Excel saves a password-protected .xlsx as an OLE compound file holding an
    # "EncryptedPackage" stream; its directory names the stream in UTF-16.
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
    assert _refused(data).code == "encrypted"


def test_a_damaged_workbook_is_refused_as_corrupt() -> None:
    whole = write_xlsx(ROWS)
    assert _refused(whole[: len(whole) // 2]).code == "corrupt"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert _refused(out.getvalue()).code == "corrupt"
    assert _refused(b"not a zip at all", "register.xlsx").code == "corrupt"


def test_a_file_over_the_size_limit_and_a_register_over_the_row_limit_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _refused(b"x" * (reading.MAX_BYTES + 1), "register.csv").params == {"limit": 20}
    monkeypatch.setattr(reading, "MAX_ROWS", 2)
    refused = _refused(write_csv(ROWS), "register.csv")
    assert (refused.code, refused.params) == ("too-many-rows", {"limit": 2})
