"""Closing many cases with one reason: each case closed by its own command.

A chosen set of cases — children who left the school (转学/离校), whose parents came home
(父母返乡) — is closed case by case, each atomically; the report says which were closed,
which skipped (already closed) and which refused (and why). Each case's command id comes
from the case and the reason, so the same closing sent again closes nothing twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from uuid import UUID, uuid5

from domain.base import Frozen
from domain.errors import CaseNotFound, DomainError, InvalidCommand
from domain.values import Actor, ClosureReason
from workflows.commands import CloseCase
from workflows.services import CaseService

#: The most cases one closing takes (a school's year of graduates fits many times).
MAX_CASES = 5000
#: Reasons a closing of many cases may give (a review closes one case, by its review).
BULK_REASONS = frozenset(ClosureReason) - {ClosureReason.REVIEWED}


class Refused(Frozen):
    """A case that was not closed, and why."""

    case_id: UUID
    code: str
    reason: str


class CloseManyReport(Frozen):
    """What a closing of many cases did."""

    reason: ClosureReason
    closed: tuple[UUID, ...] = ()
    skipped: tuple[UUID, ...] = ()
    refused: tuple[Refused, ...] = ()


def close_many(
    cases: CaseService,
    case_ids: Iterable[UUID],
    reason: ClosureReason,
    actor: Actor,
    *,
    note: str | None = None,
    school_ids: Collection[str] | None = None,
) -> CloseManyReport:
    """Close every case of ``case_ids`` with ``reason``; a case outside ``school_ids``
    (None: any school) is refused as if it did not exist."""
    ids = list(dict.fromkeys(case_ids))
    if reason not in BULK_REASONS:
        raise InvalidCommand(f"reason {reason.value} closes one case at a time (by its review)")
    if not ids:
        raise InvalidCommand("give the cases to close")
    if len(ids) > MAX_CASES:
        raise InvalidCommand(f"at most {MAX_CASES} cases at once, not {len(ids)}")
    closed: list[UUID] = []
    skipped: list[UUID] = []
    refused: list[Refused] = []
    for case_id in ids:
        try:
            school = cases.school_of(case_id)
            if school is None or (school_ids is not None and school not in school_ids):
                raise CaseNotFound(case_id)
            command_id = uuid5(case_id, f"close-many\x1f{reason.value}")
            result = cases.handle(
                CloseCase(case_id=case_id, reason=reason, note=note, command_id=command_id), actor)
        except DomainError as e:
            if e.code == "illegal-step" and cases.get_case(case_id).closed_at is not None:
                skipped.append(case_id)  # already closed, by this closing or another
            else:
                refused.append(Refused(case_id=case_id, code=e.code, reason=str(e)))
            continue
        (skipped if result.replayed else closed).append(case_id)
    return CloseManyReport(reason=reason, closed=tuple(closed), skipped=tuple(skipped),
                           refused=tuple(refused))
