"""A teacher leaves: what they hold passes to named successors in one operation.

The operation lists what the teacher holds — the cases they are head teacher, mentor or
counselling teacher of, and the open tasks assigned to them — and hands each case over
with one command (``HandOverCase``: one save per case, its tasks following their new
holders). Every successor is checked first for every school concerned, so a successor
who may not take the work stops the whole operation before anything is written. A case
refused on its own (a mentor at capacity) is reported and the others move. Each case's
command id comes from the operation and the case, so running the operation again records
nothing twice; a dry run only lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID, uuid5

from domain.base import Frozen
from domain.errors import CaseNotFound, DomainError, InvalidCommand
from domain.values import Actor, AssigneeRole, Ident
from workflows.commands import HandOverCase
from workflows.errors import AssigneeNotEligible
from workflows.services import CaseService

#: The option or field naming each role's successor, for the messages.
_OPTION = {
    AssigneeRole.HEAD_TEACHER: "head teacher (--to-head-teacher)",
    AssigneeRole.MENTOR: "mentor (--to-mentor)",
    AssigneeRole.COUNSELLING_TEACHER: "counselling teacher (--to-counsellor)",
}


class Successors(Frozen):
    """Who takes each role over; a role the leaving teacher holds nowhere needs nobody."""

    mentor: Ident | None = None
    head_teacher: Ident | None = None
    counselling_teacher: Ident | None = None

    def of(self, role: AssigneeRole) -> str | None:
        """The successor for ``role``."""
        return {
            AssigneeRole.HEAD_TEACHER: self.head_teacher,
            AssigneeRole.MENTOR: self.mentor,
            AssigneeRole.COUNSELLING_TEACHER: self.counselling_teacher,
        }.get(role)


class Holding(Frozen):
    """What the leaving teacher holds on one case (ids, no personal data)."""

    case_id: UUID
    school_id: str
    class_name: str | None
    roles: tuple[AssigneeRole, ...]
    open_tasks: int


class Refusal(Frozen):
    """A case that could not be handed over, and why (its code and message)."""

    holding: Holding
    code: str
    reason: str


class HandOverReport(Frozen):
    """The plan (what the teacher holds), and after a real run what moved and what not."""

    teacher_id: str
    dry_run: bool
    holdings: tuple[Holding, ...]
    moved: tuple[Holding, ...] = ()
    unchanged: tuple[Holding, ...] = ()
    refused: tuple[Refusal, ...] = ()


class MissingSuccessor(InvalidCommand):
    """Raised when the leaving teacher holds a role somewhere and no successor is named."""

    def __init__(self, teacher_id: str, role: AssigneeRole, cases: int) -> None:
        self.teacher_id = teacher_id
        self.role = role
        super().__init__(
            f"{teacher_id} is the {role.value.replace('_', ' ')} of {cases} open case(s): "
            f"name the {_OPTION[role]} who takes over"
        )


def holdings_of(cases: CaseService, teacher_id: str, case_ids: Iterable[UUID]) -> list[Holding]:
    """What ``teacher_id`` holds on each of ``case_ids`` (the candidates a view found),
    checked against the cases themselves: closed cases and cases they hold nothing on
    are left out."""
    found: list[Holding] = []
    for case_id in dict.fromkeys(case_ids):
        try:
            case = cases.get_case(case_id)
        except CaseNotFound:
            continue
        tasks = sum(1 for t in case.open_tasks.values() if t.assignee_id == teacher_id)
        roles = case.roles_of(teacher_id)
        if case.closed_at is None and (roles or tasks):
            found.append(Holding(case_id=case.id, school_id=case.school_id,
                                 class_name=case.child.class_name, roles=roles, open_tasks=tasks))
    return found


def hand_over(
    cases: CaseService,
    teacher_id: str,
    holdings: list[Holding],
    successors: Successors,
    actor: Actor,
    *,
    dry_run: bool,
) -> HandOverReport:
    """Hand every holding over (or, with ``dry_run``, only check and list them).

    Raises :class:`MissingSuccessor`, :class:`AssigneeNotEligible` or
    :class:`InvalidCommand` before anything is written if a successor is missing, may not
    take the work at a school concerned, or is the leaving teacher.
    """
    check_successors(cases, teacher_id, holdings, successors)
    report = HandOverReport(teacher_id=teacher_id, dry_run=dry_run, holdings=tuple(holdings))
    if dry_run:
        return report
    moved: list[Holding] = []
    unchanged: list[Holding] = []
    refused: list[Refusal] = []
    for holding in holdings:
        command = _command(teacher_id, holding, successors)
        try:
            result = cases.handle(command, actor)
        except DomainError as e:
            refused.append(Refusal(holding=holding, code=e.code, reason=str(e)))
            continue
        (unchanged if result.replayed else moved).append(holding)
    return report.model_copy(update={
        "moved": tuple(moved), "unchanged": tuple(unchanged), "refused": tuple(refused)})


def check_successors(
    cases: CaseService, teacher_id: str, holdings: list[Holding], successors: Successors
) -> None:
    """Every role held has a successor other than the leaving teacher, who may take it at
    every school concerned (asked through the ``Assignees`` port)."""
    needed: dict[AssigneeRole, set[str]] = {}
    counts: dict[AssigneeRole, int] = {}
    for holding in holdings:
        for role in holding.roles:
            needed.setdefault(role, set()).add(holding.school_id)
            counts[role] = counts.get(role, 0) + 1
    for role, schools in needed.items():
        who = successors.of(role)
        if who is None:
            raise MissingSuccessor(teacher_id, role, counts[role])
        if who == teacher_id:
            raise InvalidCommand(f"{teacher_id} is leaving: they cannot be their own successor")
        for school_id in sorted(schools):
            if cases.assignees is not None and not cases.assignees.may_take(who, school_id, role):
                raise AssigneeNotEligible(who, school_id, role.value)


def _command(teacher_id: str, holding: Holding, successors: Successors) -> HandOverCase:
    """The case's command: only the successors of the roles held on it; its id from the
    operation (who leaves, to whom) and the case."""
    named = {role.value: successors.of(role) for role in holding.roles}
    operation = "\x1f".join(
        ["hand-over", teacher_id, *(f"{r.value}={successors.of(r) or ''}" for r in AssigneeRole)]
    )
    return HandOverCase(
        case_id=holding.case_id,
        command_id=uuid5(holding.case_id, operation),
        leaving=teacher_id,
        mentor=named.get(AssigneeRole.MENTOR.value),
        head_teacher=named.get(AssigneeRole.HEAD_TEACHER.value),
        counselling_teacher=named.get(AssigneeRole.COUNSELLING_TEACHER.value),
    )
