"""Reading a register file into a header and rows, or refusing it with one clear reason.

``.xlsx`` through openpyxl (``read_only=True, data_only=True``: a formula cell gives the
value Excel last computed, never evaluated here; one never computed is empty); ``.csv`` as
UTF-8 (with or without BOM), else GB18030 (what Chinese Excel saves). The first sheet is
read. The header is the first row, among the first ten, that names the key columns (a
register often opens with a title row); its cells must not be merged.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from defusedxml import ElementTree

from adapters.driving.imports.columns import locate

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 10
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Za-z]+[0-9]+(?::[A-Za-z]+[0-9]+)?)"')


class FileRefused(Exception):
    """Raised when a register file cannot be imported at all: ``code`` names why (see
    ``adapters.driving.web.names.IMPORT_PROBLEMS``), ``params`` fill the message."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)


@dataclass
class Table:
    """A register's header row and its data rows, each with its row number in the file."""

    header: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def read_table(
    data: bytes, filename: str, columns: Mapping[str, tuple[str, ...]], required: Sequence[str]
) -> Table:
    """The table of a register; :class:`FileRefused` for a file that is not one."""
    if len(data) > MAX_BYTES:
        raise FileRefused("too-large", limit=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise FileRefused("empty")
    if data.startswith(_OLE_MAGIC):  # an encrypted .xlsx, or an old .xls
        raise FileRefused("encrypted" if _ENCRYPTED_STREAM in data else "not-a-spreadsheet")
    if data.startswith(b"PK"):
        rows, merged = _xlsx_rows(data)
    elif filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileRefused("corrupt")
    elif b"\x00" in data or not filename.lower().endswith((".csv", ".txt")):
        raise FileRefused("not-a-spreadsheet")
    else:
        rows, merged = _csv_rows(data), []
    return _table(rows, merged, columns, required)


def _table(rows: Iterator[list[Any]], merged: list[tuple[int, int, int]],
           columns: Mapping[str, tuple[str, ...]], required: Sequence[str]) -> Table:
    table: Table | None = None
    seen_any = False
    for number, values in enumerate(rows, 1):
        if table is None:
            texts = [_text(v) for v in values]
            seen_any = seen_any or any(texts)
            named = locate(texts, columns)
            spans = [f"{_col(a)}{r}:{_col(b)}{r}" for r, a, b in merged if r == number and a != b]
            if named and spans:  # a heading over two columns, or two rows of headings
                raise FileRefused("merged-header", cells=", ".join(spans))
            if set(required) <= set(named):
                table = Table(header=texts, header_row=number)
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        if all(_text(v) == "" for v in values):
            continue  # blank lines between and after the rows
        if len(table.rows) >= MAX_ROWS:
            raise FileRefused("too-many-rows", limit=MAX_ROWS)
        table.rows.append((number, values))
    if table is None:
        raise FileRefused("no-header" if seen_any else "empty")
    if not table.rows:
        raise FileRefused("empty")
    return table


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _col(index: int) -> str:
    name = ""
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise FileRefused("not-a-spreadsheet") from None
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error:
        raise FileRefused("not-a-spreadsheet") from None


def _xlsx_rows(data: bytes) -> tuple[Iterator[list[Any]], list[tuple[int, int, int]]]:
    from openpyxl import load_workbook  # only an import of .xlsx pays for it

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        merged = _merged_cells(archive)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except FileRefused:
        raise
    except Exception:  # a zip that is not a workbook, a damaged part: openpyxl raises many kinds
        raise FileRefused("corrupt") from None
    if not book.worksheets:
        raise FileRefused("empty")
    sheet = book.worksheets[0]

    def rows() -> Iterator[list[Any]]:
        try:
            for row in sheet.iter_rows(values_only=True):
                yield list(row)
        except FileRefused:
            raise
        except Exception:
            raise FileRefused("corrupt") from None
        finally:
            book.close()

    return rows(), merged


def _merged_cells(archive: zipfile.ZipFile) -> list[tuple[int, int, int]]:
    """The merged ranges of the first sheet, row by row: (row, first column, last column).
    openpyxl's read-only sheets do not report them; a search of the sheet's XML for its
    ``<mergeCell ref="A1:C1"/>`` elements costs a fraction of parsing it again."""
    path = _first_sheet_path(archive)
    if path is None:
        return []
    found = []
    with archive.open(path) as sheet:
        xml = sheet.read()
    for ref in _MERGE_CELL.findall(xml):
        first, _, last = ref.decode("ascii").partition(":")
        start, end = _cell(first), _cell(last or first)
        if start and end:
            found += [(row, start[1], end[1]) for row in range(start[0], min(end[0], HEADER_SEARCH_ROWS) + 1)]
    return found


def _first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return None
    sheet = book.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if sheet is None:
        return None
    rel_id = sheet.get(f"{_REL}id")
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return None


def _cell(ref: str) -> tuple[int, int] | None:
    letters = "".join(c for c in ref if c.isalpha()).upper()
    digits = "".join(c for c in ref if c.isdigit())
    if not letters or not digits:
        return None
    column = 0
    for c in letters:
        column = column * 26 + ord(c) - 64
    return int(digits), column
