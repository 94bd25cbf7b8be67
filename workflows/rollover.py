"""A new school year: a school's classes move up by the mapping it confirms, graduates'
cases close, every continuing child gets the start-of-year re-check.

The mapping names every class of the school's open cases: where it goes (三年级2班 →
四年级2班) or that it graduates. Everything is checked before anything is written: a class
of the mapping or of the graduating list that no child of the school is in (a typing
mistake), or a class with children that the mapping forgets, stops the whole roll-over.
Each case then moves in one command (``MoveUpClass``, or ``CloseCase`` with reason
``graduated``) whose id comes from the school year and the case, and a case already
in the year is left as it is: running the roll-over again for the same year changes
nothing. A dry run only plans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from uuid import UUID, uuid5

from domain.base import Frozen
from domain.errors import CaseNotFound, DomainError, InvalidCommand
from domain.values import Actor, ClosureReason
from workflows.commands import CaseCommand, CloseCase, MoveUpClass
from workflows.services import CaseService

#: How a mapping line separates a class from where it goes.
_ARROW = re.compile(r"\s*(?:->|→|=>|=|,|\t)\s*")
#: A target meaning "this class graduates".
GRADUATES = frozenset({"graduated", "graduate", "毕业"})


class UnknownClass(InvalidCommand):
    """Raised when the mapping or the graduating list names a class no child of the school
    is in (``unknown``), a class with children is neither mapped nor graduating
    (``unplaced``), or a class is both mapped and graduating (``both``)."""

    def __init__(self, message: str, problem: str, classes: list[str]) -> None:
        self.problem = problem
        self.classes = classes
        super().__init__(message)


class BadMappingLine(InvalidCommand):
    """Raised when a line of a mapping file is no ``FROM -> TO`` or maps a class twice."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(f"mapping line {line}: {message}")


class Move(Frozen):
    """One case of the plan: from which class to which (None: it graduates)."""

    case_id: UUID
    from_class: str
    to_class: str | None


class Outcome(Frozen):
    """A case the roll-over could not move, and why."""

    case_id: UUID
    code: str
    reason: str


class RolloverReport(Frozen):
    """The plan, and after a real run what moved, graduated and was refused (ids only)."""

    school_id: str
    school_year: int
    dry_run: bool
    moves: tuple[Move, ...]
    graduates: tuple[Move, ...]
    already: int = 0
    without_class: tuple[UUID, ...] = ()
    moved: int = 0
    graduated: int = 0
    refused: tuple[Outcome, ...] = ()


def parse_mapping(text: str) -> tuple[dict[str, str], list[str]]:
    """A mapping file: one ``FROM -> TO`` a line (``→``, ``=``, a comma or a tab also
    separate); ``TO`` ``毕业``/``graduated`` marks a graduating class; ``#`` starts a comment."""
    mapping: dict[str, str] = {}
    graduating: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [p.strip() for p in _ARROW.split(line, maxsplit=1)]
        if len(parts) != 2 or not all(parts):
            raise BadMappingLine(number, "write the class, '->' and where it goes")
        source, target = parts
        if source in mapping or source in graduating:
            raise BadMappingLine(number, f"class {source} is mapped twice")
        if target.lower() in GRADUATES:
            graduating.append(source)
        else:
            mapping[source] = target
    return mapping, graduating


def plan_rollover(
    cases: CaseService,
    school_id: str,
    school_year: int,
    case_ids: Iterable[UUID],
    mapping: dict[str, str],
    graduating: Iterable[str],
) -> RolloverReport:
    """The roll-over of the school's open cases (``case_ids``, from a view: each is read
    again); :class:`UnknownClass` if the mapping does not fit the school's classes."""
    leaving = set(graduating)
    both = sorted(leaving & set(mapping))
    if both:
        raise UnknownClass(f"class {', '.join(both)} is both mapped and graduating", "both", both)
    moves: list[Move] = []
    graduates: list[Move] = []
    seen: set[str] = set()
    unplaced: dict[str, int] = {}
    without: list[UUID] = []
    already = 0
    for case_id in dict.fromkeys(case_ids):
        try:
            case = cases.get_case(case_id)
        except CaseNotFound:
            continue
        if case.school_id != school_id or case.closed_at is not None:
            continue
        if case.school_year is not None and case.school_year >= school_year:
            already += 1
            seen.add(case.rolled_from or "")
            continue
        current = case.child.class_name
        if current is None:
            without.append(case.id)
            continue
        seen.add(current)
        if current in leaving:
            graduates.append(Move(case_id=case.id, from_class=current, to_class=None))
        elif current in mapping:
            moves.append(Move(case_id=case.id, from_class=current, to_class=mapping[current]))
        else:
            unplaced[current] = unplaced.get(current, 0) + 1
    _check_classes(school_id, seen, mapping, leaving, unplaced, already)
    return RolloverReport(school_id=school_id, school_year=school_year, dry_run=True,
                          moves=tuple(moves), graduates=tuple(graduates), already=already,
                          without_class=tuple(without))


def _check_classes(school_id: str, seen: set[str], mapping: dict[str, str], leaving: set[str],
                   unplaced: dict[str, int], already: int) -> None:
    if unplaced:
        listed = ", ".join(f"{c} ({n} children)" for c, n in sorted(unplaced.items()))
        raise UnknownClass(f"school {school_id}: class {listed} is neither mapped nor graduating",
                           "unplaced", sorted(unplaced))
    # Once the year has begun, the graduates' cases are closed: their classes are gone.
    named = set(mapping) | (leaving if not already else set())
    unknown = sorted(named - seen)
    if unknown:
        raise UnknownClass(f"school {school_id} has no child in class {', '.join(unknown)}",
                           "unknown", unknown)


def roll_over(cases: CaseService, plan: RolloverReport, actor: Actor, *, dry_run: bool) -> RolloverReport:
    """Carry out a plan (or, with ``dry_run``, return it): each case in one command."""
    if dry_run:
        return plan
    moved = graduated = 0
    refused: list[Outcome] = []
    commands: list[tuple[Move, CaseCommand]] = [
        (m, MoveUpClass(case_id=m.case_id, school_year=plan.school_year, class_name=m.to_class or "",
                        command_id=uuid5(m.case_id, f"school-year\x1f{plan.school_year}")))
        for m in plan.moves
    ] + [
        (g, CloseCase(case_id=g.case_id, reason=ClosureReason.GRADUATED,
                      command_id=uuid5(g.case_id, f"graduated\x1f{plan.school_year}")))
        for g in plan.graduates
    ]
    for move, command in commands:
        try:
            result = cases.handle(command, actor)
        except DomainError as e:
            refused.append(Outcome(case_id=move.case_id, code=e.code, reason=str(e)))
            continue
        if not result.replayed:
            moved += move.to_class is not None
            graduated += move.to_class is None
    return plan.model_copy(update={"dry_run": False, "moved": moved, "graduated": graduated,
                                   "refused": tuple(refused)})
