"""Deterministic, name-based ids: the same inputs always give the same id.

The namespace is a per-deployment value (settings): a case id then reveals nothing
about the student number to someone who does not know it.
"""

from __future__ import annotations

from uuid import UUID, uuid5


def case_id_for(namespace: UUID, school_id: str, student_no: str, generation: int = 0) -> UUID:
    """The id of the case of a school's student: one case per child, and after an erasure
    the next ``generation`` (the erased case keeps its id and its skeleton)."""
    if generation:
        return uuid5(namespace, f"case\x1f{school_id}\x1f{student_no}\x1f{generation}")
    return uuid5(namespace, f"case\x1f{school_id}\x1f{student_no}")


def mentor_id_for(namespace: UUID, teacher_id: str) -> UUID:
    """The id of a teacher's mentor aggregate."""
    return uuid5(namespace, f"mentor\x1f{teacher_id}")


def follow_up_id_for(case_id: UUID, rule_id: str, sequence: int) -> UUID:
    """The id of the ``sequence``-th task a rule scheduled on a case."""
    return uuid5(case_id, f"{rule_id}\x1f{sequence}")
