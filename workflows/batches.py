"""Many commands, one transaction: :func:`handle_batch`, for an import.

Each command runs as :meth:`CaseService.handle` runs it — the same replay check, expected
version, assignee check, context and aggregate method — but the cases it changes are
saved together at the end, in one transaction (one commit, not one per command: a
commit's fsync is most of a command's cost on SQLite). A command that changes a mentor
is handled alone, after the batch so far is saved. When the batch's save fails — another
writer was first, or an identification names a case that exists already (the batch does
not read the store to know: give it new children, as an import does) — nothing of it is
written and each command is handled alone, on fresh state, as ``handle`` retries.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError, Recording

from domain.case import Case
from domain.errors import CaseAlreadyExists, DomainError
from domain.values import Actor
from workflows.commands import CaseCommand, Command, IdentifyChild
from workflows.errors import VersionConflict

if TYPE_CHECKING:
    from workflows.services import CaseService, CommandResult

def handle_batch(
    cases: CaseService, commands: Sequence[Command], actor: Actor
) -> list[CommandResult | DomainError]:
    """Handle each command in order as ``cases.handle`` would, saving every case they
    change in one transaction.

    Returns, per command, its result or the :class:`DomainError` that refused it (a
    refused command records nothing; the others are still saved).
    """
    pending: dict[UUID, Case] = {}
    # Per command: its result or refusal, or the case it changed and the range of that
    # case's pending events it added.
    outcomes: list[CommandResult | DomainError | tuple[UUID, int, int]] = []
    for command in commands:
        try:
            case, replayed = _run(cases, command, actor, pending)
        except DomainError as e:
            outcomes.append(e)
            continue
        if replayed is not None:
            outcomes.append(replayed)
        elif case is None:  # a mentor changed: save the batch so far, then this alone
            _save(cases, pending)
            pending.clear()
            outcomes.append(_handled(cases, command, actor))
        else:
            before = len(pending[case.id].pending_events) if case.id in pending else 0
            pending[case.id] = case  # a command on a held case ran on a copy: now the case
            outcomes.append((case.id, before, len(case.pending_events)))
    saved = dict(pending)
    try:
        recorded = _save(cases, pending)
    except IntegrityError:  # another writer was first: each command again, alone
        return [_handled(cases, c, actor) for c in commands]
    return [_result(cases, saved[done[0]], recorded[done[0]][done[1]:done[2]])
            if isinstance(done, tuple) else done for done in outcomes]


def _save(cases: CaseService, pending: dict[UUID, Case]) -> dict[UUID, list[Recording[UUID]]]:
    """Save the held cases in one transaction; each case's recordings, in order."""
    counts = [(case.id, len(case.pending_events)) for case in pending.values()]
    recordings = cases.save(*pending.values())
    cases._hand_to_cache(*pending.values())
    found, start = {}, 0
    for case_id, n in counts:
        found[case_id] = recordings[start:start + n]
        start += n
    return found


def _run(
    cases: CaseService, command: Command, actor: Actor, pending: dict[UUID, Case]
) -> tuple[Case | None, CommandResult | None]:
    """Run one command on the batch's state: (the changed case, None), (None, the replayed
    result), or (None, None) for a command to handle alone."""
    command_id = command.command_id or uuid4()
    if isinstance(command, IdentifyChild):
        case_id = cases.case_id_for(command.school_id, command.student_no)
        # No read of the store: a case that exists already makes the batch's save fail
        # (its first version is taken), and every command is then handled alone.
        existing = pending.get(case_id)
        if existing is not None:
            if command_id in existing.commands:
                return None, cases._replayed(existing, existing.commands[command_id])
            raise CaseAlreadyExists(case_id, command.school_id)
        cases._check_assignees(command, command.school_id)
        policy = cases.registry.latest(command.workflow or cases.default_workflow)
        return command.open(policy, cases._context(actor, command.occurred_at, command_id), case_id), None
    if not isinstance(command, CaseCommand):
        raise TypeError(f"not a command: {type(command).__name__}")
    held = pending.get(command.case_id)
    case = copy.deepcopy(held) if held is not None else cases.get_case(command.case_id)
    if command_id in case.commands:
        return None, cases._replayed(case, case.commands[command_id])
    if command.expected_version is not None and case.version != command.expected_version:
        raise VersionConflict(case.id, command.expected_version, case.version)
    cases._check_assignees(command, case.school_id)
    mentor_before = case.mentor_id
    ctx = cases._context(actor, command.occurred_at, command_id)
    command.run(case, cases.registry.get(case.workflow), ctx)
    if case.mentor_id != mentor_before:
        return None, None
    return case, None


def _handled(cases: CaseService, command: Command, actor: Actor) -> CommandResult | DomainError:
    try:
        return cases.handle(command, actor)
    except DomainError as e:
        return e


def _result(cases: CaseService, case: Case, recordings: list[Recording[UUID]]) -> CommandResult:
    from workflows.services import CommandResult

    own = [r.domain_event for r in recordings]
    scheduled = tuple(case.follow_ups[e.follow_up_id] for e in own if isinstance(e, Case.FollowUpScheduled))
    return CommandResult(
        case_id=case.id, state=case.state, version=case.version,
        position=max(r.notification.id for r in recordings) if recordings else cases.position(),
        events=tuple(type(e).__name__ for e in own), scheduled=scheduled,
    )
