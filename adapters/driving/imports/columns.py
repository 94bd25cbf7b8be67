"""The columns of a register: the headings schools write, in Chinese or English, and the
cell values they use (dates, genders, where the parents are, relations, roles)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

#: The children's register: field -> the headings that name it.
CHILD_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "student_no": ("学号", "学籍号", "student no", "student number", "student id"),
    "name": ("姓名", "学生姓名", "儿童姓名", "name", "child name"),
    "gender": ("性别", "gender", "sex"),
    "birth_date": ("出生日期", "出生年月日", "birth date", "date of birth"),
    "class_name": ("班级", "class"),
    "guardian": ("监护人", "监护人姓名", "代理家长", "guardian", "guardian name"),
    "relation": ("与儿童关系", "与学生关系", "监护人与儿童关系", "relation", "relation to child"),
    "guardian_phone": ("监护人电话", "监护人联系电话", "guardian phone"),
    "parents_away": ("父母外出情况", "留守类型", "parents away", "parents"),
    "work_place": ("务工地", "父母务工地", "work place", "parents work place"),
    "head_teacher": ("班主任", "head teacher"),
    "identified_on": ("认定日期", "建档日期", "识别日期", "date identified", "identified on"),
    "visited_on": ("最近家访日期", "上次家访日期", "家访日期", "last home visit",
                   "date of last home visit"),
}
CHILD_REQUIRED = ("student_no", "name", "guardian", "relation", "parents_away", "head_teacher")

#: The teachers' register.
TEACHER_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "teacher_id": ("工号", "教师编号", "teacher id", "staff no", "staff number"),
    "name": ("姓名", "教师姓名", "name"),
    "roles": ("角色", "职务", "roles", "role"),
    "joined_on": ("入职日期", "到校日期", "joined", "joined on"),
    "left_on": ("离职日期", "调离日期", "left", "left on"),
}
TEACHER_REQUIRED = ("teacher_id", "name", "roles")

GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female", "m": "male",
           "f": "female", "男性": "male", "女性": "female", "其他": "other", "other": "other"}
PARENTS_AWAY = {
    "双亲外出": "both", "父母均外出": "both", "父母外出": "both", "双方外出": "both", "both": "both",
    "父亲外出": "father", "父外出": "father", "father": "father",
    "母亲外出": "mother", "母外出": "mother", "mother": "mother",
    "单亲": "single_parent", "单亲外出": "single_parent", "single parent": "single_parent",
    "single_parent": "single_parent",
}
RELATIONS = {
    "奶奶": "grandmother", "祖母": "grandmother", "外婆": "grandmother", "外祖母": "grandmother",
    "姥姥": "grandmother", "爷爷": "grandfather", "祖父": "grandfather", "外公": "grandfather",
    "外祖父": "grandfather", "姥爷": "grandfather", "姑姑": "aunt", "姨妈": "aunt", "阿姨": "aunt",
    "舅妈": "aunt", "婶婶": "aunt", "伯母": "aunt", "叔叔": "uncle", "伯伯": "uncle", "舅舅": "uncle",
    "姑父": "uncle", "姨父": "uncle",
}
ROLES = {
    "班主任": "head_teacher", "head teacher": "head_teacher", "head_teacher": "head_teacher",
    "任课教师": "subject_teacher", "科任教师": "subject_teacher", "subject teacher": "subject_teacher",
    "subject_teacher": "subject_teacher", "心理辅导教师": "counselling_teacher",
    "心理教师": "counselling_teacher", "counselling teacher": "counselling_teacher",
    "counselling_teacher": "counselling_teacher", "结对教师": "mentor", "结对帮扶教师": "mentor",
    "mentor": "mentor",
}
#: What an id (student number, teacher id) may be: as ``domain.values.Ident``.
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$")
_NOISE = re.compile(r"[\s*＊:：()（）\u3000]|必填|选填")


def heading(text: str) -> str:
    """A heading as compared: lower case, without spaces, marks or "(必填)"."""
    return _NOISE.sub("", text).lower().replace("_", "").replace("-", "")


def _aliases(columns: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {heading(alias): key for key, aliases in columns.items() for alias in aliases}


def locate(header: Sequence[str], columns: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """Where each known field is in a header row (the first column of a field wins)."""
    aliases = _aliases(columns)
    found: dict[str, int] = {}
    for index, text in enumerate(header):
        key = aliases.get(heading(text))
        if key is not None and key not in found:
            found[key] = index
    return found


def cell_text(value: Any) -> str:
    """A cell as text: a whole number typed in a number cell (a phone, a student number)
    without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def cell_date(value: Any) -> date | None:
    """A date cell or text (2015-03-02, 2015/3/2, 2015.3.2, 2015年3月2日, 20150302);
    ValueError if it is no possible date; None if empty."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    if text.isdigit() and len(text) == 8:
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    found = _DATE.match(text)
    if found is None:
        raise ValueError(text)
    return date(int(found[1]), int(found[2]), int(found[3]))  # ValueError: 2月30日


def split_roles(text: str) -> list[str] | None:
    """The roles of a cell (``班主任、结对教师``); None if one is unknown."""
    parts = [p.strip().lower() for p in re.split(r"[、,，;；/|]", text) if p.strip()]
    roles = [ROLES.get(p) for p in parts]
    return None if not roles or None in roles else [r for r in roles if r is not None]
