"""The demo schools' teacher rosters: the staff :func:`adapters.driving.demo.staff` names,
with the roles each takes and a generated name."""

from __future__ import annotations

from adapters.driven.auth.models import Teacher, TeacherRole
from adapters.driving.demo import GIVEN, SURNAMES, staff


def demo_roster(school_id: str) -> list[Teacher]:
    """Every teacher of a demo school: head teachers (also mentors), the two counselling
    teachers, and the subject teachers who mentor."""
    people = staff(school_id)
    head, counsellors, mentors = (set(people[k]) for k in ("head_teachers", "counsellors", "mentors"))
    found = []
    for n, teacher_id in enumerate(people["teachers"]):
        roles = [TeacherRole.SUBJECT_TEACHER]
        roles += [TeacherRole.HEAD_TEACHER] if teacher_id in head else []
        roles += [TeacherRole.COUNSELLING_TEACHER] if teacher_id in counsellors else []
        roles += [TeacherRole.MENTOR] if teacher_id in mentors else []
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)] + "老师"
        found.append(Teacher(teacher_id=teacher_id, school_id=school_id, name=name, roles=tuple(roles)))
    return found
