"""A teachers' register (工号, 姓名, 角色, 入职日期, 离职日期), row by row: the roster records
of the good rows, the reason of each bad one."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from adapters.driven.auth.models import Teacher, TeacherRole
from adapters.driving.imports.children import RowProblem
from adapters.driving.imports.columns import (
    ID,
    TEACHER_COLUMNS,
    TEACHER_REQUIRED,
    cell_date,
    cell_text,
    locate,
    split_roles,
)
from adapters.driving.imports.reading import FileRefused, Table


def plan_teachers(table: Table, school_id: str) -> tuple[list[tuple[int, Teacher]], list[RowProblem]]:
    """The roster records of a register's rows, or each row's problem."""
    where = locate(table.header, TEACHER_COLUMNS)
    missing = [TEACHER_COLUMNS[k][0] for k in TEACHER_REQUIRED if k not in where]
    if missing:
        raise FileRefused("missing-columns", columns="、".join(missing))
    names = {key: table.header[index] for key, index in where.items()}
    good: list[tuple[int, Teacher]] = []
    problems: list[RowProblem] = []
    rows_of: defaultdict[str, list[int]] = defaultdict(list)
    for number, values in table.rows:
        cells = {k: values[i] if i < len(values) else None for k, i in where.items()}
        found = _teacher(number, cells, names, school_id)
        if isinstance(found, RowProblem):
            problems.append(found)
        else:
            good.append((number, found))
            rows_of[found.teacher_id].append(number)
    twice = {n: t for t, rows in rows_of.items() if len(rows) > 1 for n in rows}
    for number, teacher_id in sorted(twice.items()):
        others = ", ".join(str(r) for r in rows_of[teacher_id] if r != number)
        problems.append(RowProblem(number, "duplicate-teacher-id", {"value": teacher_id, "rows": others}))
    return [g for g in good if g[0] not in twice], sorted(problems, key=lambda p: p.row)


def _teacher(
    number: int, cells: dict[str, Any], names: dict[str, str], school_id: str
) -> Teacher | RowProblem:
    text = {k: cell_text(v) for k, v in cells.items()}
    for key in TEACHER_REQUIRED:
        if not text[key]:
            return RowProblem(number, "missing-value", {"column": names[key]})
    if not ID.match(text["teacher_id"]):
        return RowProblem(number, "bad-teacher-id", {"value": text["teacher_id"]})
    roles = split_roles(text["roles"])
    if roles is None:
        return RowProblem(number, "unknown-role", {"value": text["roles"]})
    dates = {}
    for key in ("joined_on", "left_on"):
        try:
            dates[key] = cell_date(cells.get(key))
        except ValueError:
            return RowProblem(number, "impossible-date", {"column": names[key], "value": text[key]})
    return Teacher(
        teacher_id=text["teacher_id"], school_id=school_id, name=text["name"][:200],
        roles=tuple(dict.fromkeys(TeacherRole(r) for r in roles)), **dates,
    )
