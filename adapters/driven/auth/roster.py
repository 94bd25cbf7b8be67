"""The teacher roster of each school: who teaches there, what work they take, who left.

Kept in the auth store beside the logins; a teacher needs no login, and a login of role
teacher names its roster record by the same id. The case application asks the roster,
through :class:`RosterAssignees`, before it names a head teacher, a mentor or a
counselling teacher on a case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date

from adapters.driven.auth.models import Teacher, TeacherRole
from adapters.driven.auth.port import AuthStore
from domain.values import AssigneeRole

#: The roster role each assignment on a case needs.
TAKES: dict[AssigneeRole, TeacherRole] = {
    AssigneeRole.HEAD_TEACHER: TeacherRole.HEAD_TEACHER,
    AssigneeRole.MENTOR: TeacherRole.MENTOR,
    AssigneeRole.COUNSELLING_TEACHER: TeacherRole.COUNSELLING_TEACHER,
}
#: The roles of a teacher put on the roster by their login (``caretrail users add --role
#: teacher``) when the roster has no record of them yet: what any teacher could take
#: before the roster was kept. ``caretrail teachers add`` changes them.
LOGIN_ROLES = (TeacherRole.HEAD_TEACHER, TeacherRole.SUBJECT_TEACHER, TeacherRole.MENTOR)


class RosterError(Exception):
    """Raised for a roster change that cannot be made (unknown teacher, ambiguous school)."""


class Roster:
    """The rosters of every school, over the auth store."""

    def __init__(self, store: AuthStore, today: Callable[[], date]) -> None:
        self.store = store
        self.today = today

    def get(self, school_id: str, teacher_id: str) -> Teacher | None:
        """One teacher of one school (active or left)."""
        return self.store.get_teacher(school_id, teacher_id)

    def active(self, school_id: str) -> list[Teacher]:
        """The school's teachers who have not left, by id."""
        return self.store.list_teachers(school_id, active_only=True)

    def all(self, school_id: str) -> list[Teacher]:
        """The school's whole roster, those who left included, by id."""
        return self.store.list_teachers(school_id)

    def add(self, teachers: Sequence[Teacher]) -> int:
        """Put teachers on their schools' rosters (a record of the same school and id is
        replaced) in one transaction; how many."""
        return self.store.put_teachers(teachers)

    def add_missing(self, teachers: Iterable[Teacher]) -> int:
        """Put on the roster those of ``teachers`` it does not have yet; how many."""
        return self.store.put_teachers(list(teachers), replace=False)

    def school_of(self, teacher_id: str, school_id: str | None = None) -> str:
        """The school of a teacher's record: ``school_id`` if given and known, else their one
        active school; :class:`RosterError` if none or several."""
        records = self.store.teacher_records(teacher_id)
        if school_id is not None:
            if not any(r.school_id == school_id for r in records):
                raise RosterError(f"teacher {teacher_id} is not on the roster of {school_id}")
            return school_id
        active = [r.school_id for r in records if r.active]
        if len(active) != 1:
            raise RosterError(
                f"teacher {teacher_id} is not an active teacher of any school" if not active
                else f"teacher {teacher_id} teaches at {', '.join(active)}: name one (--school)"
            )
        return active[0]

    def leave(self, school_id: str, teacher_id: str, on: date | None = None) -> bool:
        """Mark a teacher as having left the school (today unless ``on``); False if they had
        already left. Their cases and tasks stay theirs until they are handed over."""
        if self.store.get_teacher(school_id, teacher_id) is None:
            raise RosterError(f"teacher {teacher_id} is not on the roster of {school_id}")
        return self.store.teacher_left(school_id, teacher_id, on or self.today())


class RosterAssignees:
    """The ``workflows.assignees.Assignees`` port over the roster.

    A head teacher, mentor or counselling teacher of a case is an active teacher of the
    case's school whose roster roles include that work; a teacher whose login is disabled
    takes nothing either.
    """

    def __init__(self, store: AuthStore) -> None:
        self.store = store

    def may_take(self, user_id: str, school_id: str, assignment: AssigneeRole) -> bool:
        """Whether the roster lets ``user_id`` take ``assignment`` on a case of the school."""
        needed = TAKES.get(assignment)
        teacher = self.store.get_teacher(school_id, user_id)
        if needed is None or teacher is None or not teacher.active or needed not in teacher.roles:
            return False
        login = self.store.get_user(user_id)
        return login is None or login.disabled_at is None
