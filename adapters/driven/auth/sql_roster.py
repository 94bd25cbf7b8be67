"""The auth store's SQL for the teacher roster: one row per teacher and school.

Part of :class:`adapters.driven.auth.sql.SQLAuthStore`, which provides the connections.
A roster row needs no login: a user of role teacher links to it by the same id.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from adapters.driven.auth.models import Teacher, TeacherRole
from projections.store import Cursor

ROSTER_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS teachers (school_id TEXT NOT NULL, teacher_id TEXT NOT NULL, "
    "name TEXT, roles TEXT NOT NULL, joined_on TEXT, left_on TEXT, "
    "PRIMARY KEY (school_id, teacher_id))",
    "CREATE INDEX IF NOT EXISTS teachers_by_id ON teachers (teacher_id)",
)
TEACHER_COLUMNS = "school_id, teacher_id, name, roles, joined_on, left_on"


def _teacher(row: Sequence[Any]) -> Teacher:
    school_id, teacher_id, name, roles, joined_on, left_on = row
    return Teacher(
        school_id=school_id, teacher_id=teacher_id, name=name,
        roles=tuple(TeacherRole(r) for r in roles.split(",") if r),
        joined_on=date.fromisoformat(joined_on) if joined_on else None,
        left_on=date.fromisoformat(left_on) if left_on else None,
    )


def _params(t: Teacher) -> tuple[Any, ...]:
    return (t.school_id, t.teacher_id, t.name, ",".join(r.value for r in t.roles),
            t.joined_on.isoformat() if t.joined_on else None,
            t.left_on.isoformat() if t.left_on else None)


class RosterSQL(ABC):
    """The roster's part of the SQL auth store."""

    @abstractmethod
    def _write(self) -> AbstractContextManager[Cursor]:
        """A write transaction: committed on success, rolled back on error."""

    @abstractmethod
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of one read."""

    def put_teachers(self, teachers: Sequence[Teacher], *, replace: bool = True) -> int:
        if not teachers:
            return 0
        conflict = (
            "DO UPDATE SET name = excluded.name, roles = excluded.roles, "
            "joined_on = excluded.joined_on, left_on = excluded.left_on" if replace else "DO NOTHING"
        )
        written = 0
        with self._write() as cur:
            for teacher in teachers:
                cur.execute(
                    f"INSERT INTO teachers ({TEACHER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
                    f"ON CONFLICT (school_id, teacher_id) {conflict}", _params(teacher),
                )
                written += max(cur.rowcount, 0)
        return written

    def get_teacher(self, school_id: str, teacher_id: str) -> Teacher | None:
        found = self._query(
            f"SELECT {TEACHER_COLUMNS} FROM teachers WHERE school_id = ? AND teacher_id = ?",
            (school_id, teacher_id),
        )
        return _teacher(found[0]) if found else None

    def teacher_records(self, teacher_id: str) -> list[Teacher]:
        found = self._query(
            f"SELECT {TEACHER_COLUMNS} FROM teachers WHERE teacher_id = ? ORDER BY school_id",
            (teacher_id,),
        )
        return [_teacher(r) for r in found]

    def list_teachers(self, school_id: str, *, active_only: bool = False) -> list[Teacher]:
        sql = f"SELECT {TEACHER_COLUMNS} FROM teachers WHERE school_id = ?"
        if active_only:
            sql += " AND left_on IS NULL"
        return [_teacher(r) for r in self._query(sql + " ORDER BY teacher_id", (school_id,))]

    def teacher_left(self, school_id: str, teacher_id: str, on: date) -> bool:
        with self._write() as cur:
            cur.execute(
                "UPDATE teachers SET left_on = ? WHERE school_id = ? AND teacher_id = ? "
                "AND left_on IS NULL", (on.isoformat(), school_id, teacher_id),
            )
            return cur.rowcount == 1
