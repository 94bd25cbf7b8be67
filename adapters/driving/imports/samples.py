"""Synthetic registers as schools keep them: for the tests, the benchmark and the demo.

``children_rows`` gives a register's rows; ``write_xlsx`` and ``write_csv`` write them
with Chinese or English headings, CSV as UTF-8 with a BOM or as GB18030 (what Chinese
Excel saves).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from adapters.driving.imports.columns import CHILD_COLUMNS, TEACHER_COLUMNS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "明华丽强军平静敏磊洋勇艳杰娟涛超秀霞刚桂英芳玉兰"
CHILD_FIELDS = ("student_no", "name", "gender", "birth_date", "class_name", "guardian", "relation",
                "guardian_phone", "parents_away", "work_place", "head_teacher", "identified_on",
                "visited_on")
#: The Chinese and English heading of each field (the first and the first English alias).
HEADINGS = {
    "zh": {k: v[0] for k, v in {**CHILD_COLUMNS, **TEACHER_COLUMNS}.items()},
    "en": {k: next(a for a in v if a.isascii()) for k, v in {**CHILD_COLUMNS, **TEACHER_COLUMNS}.items()},
}


def children_rows(n: int, head_teachers: Sequence[str], *, seed: int = 1, start: int = 1,
                  today: date = date(2026, 11, 30)) -> list[dict[str, Any]]:
    """``n`` children of a school's register, student numbers from ``start``; half have a
    date identified, a third a last home visit (after it)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not a secret
    rows = []
    for k in range(start, start + n):
        identified = today - timedelta(days=rng.randint(30, 700))
        row: dict[str, Any] = {
            "student_no": f"2026{k:05d}",
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "gender": rng.choice(["男", "女"]),
            "birth_date": date(2014 + rng.randint(0, 5), rng.randint(1, 12), rng.randint(1, 28)),
            "class_name": f"{rng.choice('一二三四五六')}年级{rng.randint(1, 5)}班",
            "guardian": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "relation": rng.choice(["奶奶", "爷爷", "外婆", "姑姑"]),
            "guardian_phone": f"13{rng.randint(0, 999_999_999):09d}",
            "parents_away": rng.choice(["双亲外出", "父亲外出", "母亲外出", "单亲"]),
            "work_place": rng.choice(["广东东莞", "浙江宁波", "江苏苏州", "上海"]),
            "head_teacher": head_teachers[k % len(head_teachers)],
            "identified_on": identified if k % 2 == 0 else None,
            "visited_on": identified + timedelta(days=rng.randint(1, 25)) if k % 6 == 0 else None,
        }
        rows.append(row)
    return rows


def _table(rows: Sequence[dict[str, Any]], language: str, fields: Sequence[str]) -> list[list[Any]]:
    return [[HEADINGS[language][f] for f in fields]] + [[r.get(f) for f in fields] for r in rows]


def write_xlsx(rows: Sequence[dict[str, Any]], language: str = "zh",
               fields: Sequence[str] = CHILD_FIELDS, title: str | None = None) -> bytes:
    """A workbook of the register (dates as date cells), optionally under a merged title row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if title is not None:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(fields))
    for line in _table(rows, language, fields):
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_csv(rows: Sequence[dict[str, Any]], language: str = "zh", encoding: str = "utf-8-sig",
              fields: Sequence[str] = CHILD_FIELDS) -> bytes:
    """The register as CSV in ``encoding`` (``utf-8-sig``, ``utf-8`` or ``gb18030``)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for line in _table(rows, language, fields):
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in line])
    return out.getvalue().encode(encoding)
