"""A children's register, row by row: the commands each good row becomes, the reason each
bad row is refused.

A row becomes the commands the API takes: ``IdentifyChild`` (``occurred_at``: the date
identified, else the last home visit, else now) and, with a date of the last home visit,
``RecordHomeVisit`` at that date. Their command ids come from the case id, itself from
school and student number, so importing a row again records nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from adapters.driven.auth.models import Teacher, TeacherRole
from adapters.driving.imports.columns import (
    CHILD_COLUMNS,
    CHILD_REQUIRED,
    GENDERS,
    ID,
    PARENTS_AWAY,
    RELATIONS,
    cell_date,
    cell_text,
    locate,
)
from adapters.driving.imports.reading import FileRefused, Table
from domain.values import EARLIEST_BIRTH_DATE, EARLIEST_OCCURRED_AT
from workflows.commands import IdentifyChild, RecordHomeVisit

_PHONE = re.compile(r"^\+?[0-9 -]{5,20}$")


@dataclass(frozen=True)
class RowProblem:
    """Why one row is not imported: a code of ``IMPORT_PROBLEMS`` and what fills its message."""

    row: int
    code: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChildRow:
    """A good row: the case it opens and the commands that open it."""

    row: int
    case_id: UUID
    identify: IdentifyChild
    visit: RecordHomeVisit | None


class _Bad(Exception):
    def __init__(self, code: str, **params: str) -> None:
        self.code, self.params = code, params


@dataclass
class ChildPlanner:
    """Turns a register's rows into commands for one school."""

    school_id: str
    head_teachers: Sequence[Teacher]
    case_id_for: Callable[[str, str], UUID]
    now: datetime
    zone: ZoneInfo

    def __post_init__(self) -> None:
        self._ids = {t.teacher_id for t in self.head_teachers}

    def plan(self, table: Table) -> tuple[list[ChildRow], list[RowProblem]]:
        """Every row's commands or its problem (a student number twice: every such row)."""
        where = locate(table.header, CHILD_COLUMNS)
        missing = [CHILD_COLUMNS[k][0] for k in CHILD_REQUIRED if k not in where]
        if missing:
            raise FileRefused("missing-columns", columns="、".join(missing))
        names = {key: table.header[index] for key, index in where.items()}
        good: list[ChildRow] = []
        problems: list[RowProblem] = []
        rows_of: defaultdict[str, list[int]] = defaultdict(list)
        for number, values in table.rows:
            cells = {k: values[i] if i < len(values) else None for k, i in where.items()}
            try:
                good.append(self._row(number, cells, names))
            except _Bad as bad:
                problems.append(RowProblem(number, bad.code, bad.params))
                continue
            rows_of[cell_text(cells["student_no"])].append(number)
        twice = {n: no for no, rows in rows_of.items() if len(rows) > 1 for n in rows}
        for number, student_no in sorted(twice.items()):
            others = ", ".join(str(r) for r in rows_of[student_no] if r != number)
            problems.append(RowProblem(number, "duplicate-student-no", {"value": student_no, "rows": others}))
        return [r for r in good if r.row not in twice], sorted(problems, key=lambda p: p.row)

    def _row(self, number: int, cells: dict[str, Any], names: dict[str, str]) -> ChildRow:
        text = {k: cell_text(v) for k, v in cells.items()}
        if not text["student_no"]:
            raise _Bad("missing-student-no")
        if not ID.match(text["student_no"]):
            raise _Bad("bad-student-no", value=text["student_no"])
        for key in CHILD_REQUIRED:
            if not text[key]:
                raise _Bad("missing-value", column=names[key])
        identified, visited = self._day(cells, names, "identified_on"), self._day(cells, names, "visited_on")
        if identified and visited and visited < identified:
            raise _Bad("visit-before-identified")
        birth = self._date(cells, names, "birth_date")
        if birth is not None and not EARLIEST_BIRTH_DATE <= birth <= self.now.date():
            raise _Bad("impossible-date", column=names["birth_date"], value=text["birth_date"])
        case_id = self.case_id_for(self.school_id, text["student_no"])
        try:
            identify = IdentifyChild(
                school_id=self.school_id, student_no=text["student_no"],
                child={"name": text["name"], "gender": self._choice(text, names, "gender", GENDERS),
                       "birth_date": birth, "class_name": text.get("class_name") or None},
                guardian={"name": text["guardian"],
                          "relation": RELATIONS.get(text["relation"], text["relation"]),
                          "phone": self._phone(text, names)},
                parents={"away": self._choice(text, names, "parents_away", PARENTS_AWAY),
                         "work_place": text.get("work_place") or None},
                head_teacher_id=self._head_teacher(text["head_teacher"]),
                occurred_at=self._moment(identified or visited),
                command_id=uuid5(case_id, "import:identify"),
            )
        except ValidationError as e:
            error = e.errors()[0]
            raise _Bad("invalid", reason=str(error["msg"]).removeprefix("Value error, ")) from None
        visit = None if visited is None else RecordHomeVisit(
            case_id=case_id, occurred_at=self._moment(visited), guardian_met=True,
            command_id=uuid5(case_id, "import:home-visit"),
        )
        return ChildRow(number, case_id, identify, visit)

    def _date(self, cells: dict[str, Any], names: dict[str, str], key: str) -> date | None:
        if key not in cells:
            return None
        try:
            return cell_date(cells[key])
        except ValueError:
            raise _Bad("impossible-date", column=names[key], value=cell_text(cells[key])) from None

    def _day(self, cells: dict[str, Any], names: dict[str, str], key: str) -> date | None:
        """A date something happened: not in the future, not before records began."""
        day = self._date(cells, names, key)
        if day is None:
            return None
        if day > self.now.astimezone(self.zone).date():
            raise _Bad("future-date", column=names[key], value=day.isoformat())
        if day < EARLIEST_OCCURRED_AT.date():
            raise _Bad("impossible-date", column=names[key], value=day.isoformat())
        return day

    def _moment(self, day: date | None) -> datetime | None:
        """Noon, school time, that day (no later than now); None: now."""
        if day is None:
            return None
        return min(datetime.combine(day, time(12), self.zone), self.now)

    @staticmethod
    def _choice(text: dict[str, str], names: dict[str, str], key: str, table: dict[str, str]) -> str | None:
        value = text.get(key, "")
        if not value:
            return None
        found = table.get(value.lower())
        if found is None:
            raise _Bad("bad-value", column=names[key], value=value)
        return found

    @staticmethod
    def _phone(text: dict[str, str], names: dict[str, str]) -> str | None:
        phone = text.get("guardian_phone", "")
        if phone and not _PHONE.match(phone):
            raise _Bad("bad-value", column=names["guardian_phone"], value=phone)
        return phone or None

    def _head_teacher(self, written: str) -> str:
        """The id of the head teacher a row names, by id or by name."""
        if written in self._ids:
            return written
        bare = written.removesuffix("老师")
        named = [t.teacher_id for t in self.head_teachers
                 if t.name and bare in (t.name, t.name.removesuffix("老师"))]
        if len(named) == 1:
            return named[0]
        raise _Bad("ambiguous-teacher" if named else "unknown-teacher", value=written)


def head_teachers(roster: Sequence[Teacher]) -> list[Teacher]:
    """The teachers of a roster who may be head teachers."""
    return [t for t in roster if t.active and TeacherRole.HEAD_TEACHER in t.roles]
