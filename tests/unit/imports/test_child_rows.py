"""A children's register row by row: the commands of a good row, the reason of a bad one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

import pytest

from adapters.driven.auth.models import Teacher, TeacherRole
from adapters.driving.imports.children import ChildPlanner, RowProblem
from adapters.driving.imports.columns import CHILD_COLUMNS, CHILD_REQUIRED
from adapters.driving.imports.messages import say
from adapters.driving.imports.reading import FileRefused, read_table
from adapters.driving.imports.samples import children_rows, write_csv
from domain.values import ParentsAway

NOW = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
TEACHERS = [Teacher(teacher_id="T01", school_id="s1", name="李明", roles=(TeacherRole.HEAD_TEACHER,)),
            Teacher(teacher_id="T02", school_id="s1", name="王芳", roles=(TeacherRole.HEAD_TEACHER,)),
            Teacher(teacher_id="T03", school_id="s1", name="王芳", roles=(TeacherRole.HEAD_TEACHER,))]


def _case_id(school: str, student_no: str) -> UUID:
    return uuid5(UUID(int=0), f"{school}/{student_no}")


def _plan(rows: list[dict[str, Any]]) -> tuple[list[Any], list[RowProblem]]:
    table = read_table(write_csv(rows), "register.csv", CHILD_COLUMNS, CHILD_REQUIRED)
    return ChildPlanner("s1", TEACHERS, _case_id, NOW, SHANGHAI).plan(table)


def _row(**changes: Any) -> dict[str, Any]:
    row = children_rows(1, ["T01"], today=date(2026, 8, 31))[0]
    row.update(changes)
    return row


def test_a_good_row_becomes_the_api_commands_with_its_dates_at_noon_school_time() -> None:
    good, problems = _plan([_row(head_teacher="李明老师", identified_on=date(2025, 3, 2),
                                 visited_on=date(2025, 3, 9), parents_away="父亲外出", relation="奶奶")])
    assert problems == []
    (row,) = good
    assert row.row == 2
    assert row.identify.head_teacher_id == "T01"
    assert row.identify.parents.away is ParentsAway.FATHER
    assert row.identify.guardian.relation == "grandmother"
    assert row.identify.occurred_at == datetime(2025, 3, 2, 12, tzinfo=SHANGHAI)
    assert row.visit.occurred_at == datetime(2025, 3, 9, 12, tzinfo=SHANGHAI)
    assert row.visit.case_id == row.case_id == _case_id("s1", row.identify.student_no)


def test_a_row_with_only_a_visit_date_is_identified_that_day() -> None:
    (row,), _ = _plan([_row(identified_on=None, visited_on=date(2025, 5, 6))])
    assert row.identify.occurred_at == row.visit.occurred_at


@pytest.mark.parametrize(("changes", "code", "params"), [
    ({"student_no": ""}, "missing-student-no", {}),
    ({"student_no": "20 26"}, "bad-student-no", {"value": "20 26"}),
    ({"guardian": ""}, "missing-value", {"column": "监护人"}),
    ({"birth_date": "2016-02-30"}, "impossible-date", {"column": "出生日期", "value": "2016-02-30"}),
    ({"identified_on": "2025年13月1日"}, "impossible-date", {"column": "认定日期", "value": "2025年13月1日"}),
    ({"identified_on": date(2026, 9, 2)}, "future-date", {"column": "认定日期", "value": "2026-09-02"}),
    ({"identified_on": date(2025, 3, 9), "visited_on": date(2025, 3, 2)}, "visit-before-identified", {}),
    ({"head_teacher": "张三"}, "unknown-teacher", {"value": "张三"}),
    ({"head_teacher": "王芳"}, "ambiguous-teacher", {"value": "王芳"}),
    ({"gender": "未知"}, "bad-value", {"column": "性别", "value": "未知"}),
    ({"parents_away": "在家"}, "bad-value", {"column": "父母外出情况", "value": "在家"}),
    ({"guardian_phone": "打电话"}, "bad-value", {"column": "监护人电话", "value": "打电话"}),
])
def test_each_bad_row_is_reported_with_its_reason(changes: dict[str, Any], code: str,
                                                   params: dict[str, str]) -> None:
    good, problems = _plan([_row(), _row(student_no="202600099", **changes) if "student_no" not in changes
                            else _row(**changes)])
    assert problems == [RowProblem(3, code, params)]
    assert [r.row for r in good] == [2]


def test_every_row_of_a_student_number_twice_is_refused_naming_the_others() -> None:
    rows = [_row(student_no="A1"), _row(student_no="B2"), _row(student_no="A1"), _row(student_no="A1")]
    good, problems = _plan(rows)
    assert [r.row for r in good] == [3]
    assert problems == [RowProblem(2, "duplicate-student-no", {"value": "A1", "rows": "4, 5"}),
                        RowProblem(4, "duplicate-student-no", {"value": "A1", "rows": "2, 5"}),
                        RowProblem(5, "duplicate-student-no", {"value": "A1", "rows": "2, 4"})]


def test_a_register_without_a_required_column_is_refused_naming_it() -> None:
    data = "学号,姓名,监护人,与儿童关系,父母外出情况\n1,王小明,李奶奶,奶奶,双亲外出\n".encode()
    table = read_table(data, "r.csv", CHILD_COLUMNS, ("student_no", "name"))
    with pytest.raises(FileRefused) as raised:
        ChildPlanner("s1", TEACHERS, _case_id, NOW, SHANGHAI).plan(table)
    assert (raised.value.code, raised.value.params) == ("missing-columns", {"columns": "班主任"})


def test_reasons_read_in_chinese_and_in_english() -> None:
    params = {"column": "出生日期", "value": "2016-02-30"}
    assert say("zh_CN", "row", "impossible-date", **params) == "“出生日期”：2016-02-30 不是有效日期"
    assert say("en", "row", "impossible-date", **params) == "出生日期: 2016-02-30 is not a possible date"
    assert say("zh_CN", "report", "row", row=3, reason="缺少学号") == "第 3 行：缺少学号"
