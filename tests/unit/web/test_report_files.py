"""Tables as files: sheet names Excel accepts, numbers kept as numbers, every text cell
defused against formulas, one titled CSV section per table."""

from __future__ import annotations

import csv
import io

import openpyxl

from adapters.driving.exports import BOM
from adapters.driving.web.report_files import Table, csv_text, sheet_name, xlsx_bytes

#: Texts a spreadsheet could read as a formula (a carriage return: XML stores it as \n).
DANGEROUS = ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx"]


def test_sheet_names_lose_forbidden_characters_and_stay_unique_and_short() -> None:
    taken: set[str] = set()
    assert sheet_name("任务[按类型]/2026?", taken) == "任务 按类型  2026"
    long = "x" * 40
    first, second = sheet_name(long, taken), sheet_name(long, taken)
    assert len(first) == len(second) == 31
    assert first != second
    assert sheet_name("", taken) == "Sheet"


def test_a_workbook_keeps_numbers_and_defuses_every_formula_like_text() -> None:
    table = Table("表", ["文字", "数"], [[text, n] for n, text in enumerate(DANGEROUS)])
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([table]))).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == ["'" + text for text in DANGEROUS]
    assert {r[0].data_type for r in rows} == {"s"}  # no cell is a formula
    assert [r[1].value for r in rows] == list(range(len(DANGEROUS)))


def test_a_csv_of_several_tables_has_a_title_line_above_each() -> None:
    tables = [Table("甲", ["a"], [["=x"]]), Table("乙", ["b"], [[2]])]
    text = csv_text(tables)
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    assert rows == [["甲"], ["a"], ["'=x"], [], ["乙"], ["b"], ["2"]]
    single = list(csv.reader(io.StringIO(csv_text(tables[:1]).removeprefix(BOM))))
    assert single == [["a"], ["'=x"]]
