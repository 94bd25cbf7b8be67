"""The case application: every step a user takes comes in through :meth:`CaseService.handle`.

A step is a typed command (``workflows.commands``); ``handle`` reads the case, runs the
command on it, and saves the case (and any mentor whose load changed) in one atomic save.
Reads of cases and their history are here too.

Events are pydantic models: the application must be configured with a mapper that
knows them (``MAPPER_TOPIC``; ``adapters.driven.events`` does this).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Recording
from eventsourcing.utils import EnvType

from domain.base import Frozen
from domain.case import Case
from domain.errors import CaseAlreadyExists, CaseNotFound
from domain.ids import case_id_for, mentor_id_for
from domain.mentor import Mentor
from domain.values import Actor, Child, CommandContext, FollowUp, Role
from workflows.assignees import Assignees
from workflows.case_reads import CaseReads
from workflows.commands import CaseCommand, Command, EraseCase, IdentifyChild
from workflows.errors import AssigneeNotEligible, ConcurrentUpdate, VersionConflict
from workflows.histories import Histories
from workflows.keys import CaseKeys
from workflows.registry import Registry

#: The scheduler's identity in the events it causes.
SYSTEM_ACTOR = Actor(user_id="scheduler", role=Role.SYSTEM)
#: How often a command is tried again after losing a race to another writer.
MAX_ATTEMPTS = 8
#: How many cases' school and child :meth:`CaseService.child_of` keeps in memory.
CHILDREN_KEPT = 100_000
#: How many cases' decoded events :meth:`CaseService.history` keeps in memory.
HISTORIES_KEPT = 500


class CommandResult(Frozen):
    """What a command reached: the case's version and the log position to wait for."""

    case_id: UUID
    state: str
    version: int
    position: int
    replayed: bool = False
    events: tuple[str, ...] = ()
    scheduled: tuple[FollowUp, ...] = ()


class CaseService(CaseReads, Application[UUID]):
    """The case application over the event store (eventsourcing's ``Application``).

    The deployment's choices (id namespace, default workflow, mentor capacity, snapshot
    interval) come from the settings, through the composition root; who may be named
    head teacher or mentor of a school's case, from ``assignees`` (the accounts).
    """

    name = "cases"

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        registry: Registry,
        clock: Callable[[], datetime],
        id_namespace: UUID,
        default_workflow: str,
        mentor_capacity: int,
        snapshot_interval: int,
        retry_pause: Callable[[int], None] | None = None,
        assignees: Assignees | None = None,
    ) -> None:
        super().__init__(env)
        self.registry = registry
        self.clock = clock
        self.id_namespace = id_namespace
        self.default_workflow = default_workflow
        self.mentor_capacity = mentor_capacity
        self.snapshot_interval = snapshot_interval
        self.max_attempts = MAX_ATTEMPTS
        self.retry_pause = retry_pause or _jittered_pause
        self._listeners: list[Callable[[int], None]] = []
        #: Who may be named on a case (None: anyone, as in tests of the domain alone).
        self.assignees = assignees
        self._children: dict[UUID, tuple[str, Child]] = {}
        #: The decoded events of the cases read lately (:meth:`history`).
        self.histories = Histories(HISTORIES_KEPT)
        #: The case keys (the composition root sets them; None: no erasure possible).
        self.keys: CaseKeys | None = None

    def close(self) -> None:
        """Close the event store and the key store."""
        super().close()
        if self.keys is not None:
            self.keys.close()

    # ------------------------------------------------------------ wiring
    def on_saved(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(position)`` after every save (wakes in-process projections)."""
        self._listeners.append(listener)

    def save(self, *aggregates: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Put the aggregates' new events in the event store in one transaction, then
        snapshot those whose save crossed a multiple of the snapshot interval, from the
        aggregate in memory, and tell the listeners the position reached.

        The events go to the application's public event store (``self.events.put``), as
        eventsourcing's ``save`` does after telling events from aggregates with runtime
        protocol checks (a cost on every command: docs/performance.md); its own
        snapshotting (``snapshotting_intervals``, left empty) would rebuild each aggregate
        from the store to snapshot it.
        """
        saved = [a for a in aggregates if a is not None]
        if not all(isinstance(a, Case | Mentor) for a in saved):
            raise TypeError("CaseService saves Case and Mentor aggregates only")
        interval = self.snapshot_interval
        crossing = [
            a for a in saved
            if interval and (a.version - len(a.pending_events)) // interval < a.version // interval
        ]
        recordings = self.events.put([e for a in saved for e in a.collect_events()], **kwargs)
        if crossing and self.snapshots is not None:
            self.snapshots.put([a.Snapshot.take(a) for a in crossing])
        if recordings:
            position = max(r.notification.id for r in recordings)
            for listener in self._listeners:
                listener(position)
        return recordings

    def position(self) -> int:
        """The newest notification id in the store (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    # ------------------------------------------------------------ reads
    def case_id_for(self, school_id: str, student_no: str) -> UUID:
        """The id the case of this student has (or would have)."""
        return case_id_for(self.id_namespace, school_id, student_no)

    def get_case(self, case_id: UUID, version: int | None = None) -> Case:
        """The case now, or as of ``version``."""
        try:
            case: Case = self.repository.get(case_id, version=version, projector_func=_project)
        except AggregateNotFoundError:
            raise CaseNotFound(case_id) from None
        if not isinstance(case, Case):
            raise CaseNotFound(case_id)
        return case

    def school_of(self, case_id: UUID) -> str | None:
        """The school of a case, from its first event alone (None: no such case)."""
        stored = self.recorder.select_events(case_id, limit=1)
        if not stored:
            return None
        first = self.mapper.to_domain_event(stored[0])
        return first.school_id if isinstance(first, Case.Identified) else None

    def child_of(self, case_id: UUID) -> tuple[str, Child]:
        """The school and the child of a case, as its first event says (``CaseNotFound``
        if there is none). No later event changes the school or the child's name (the class
        may change: read it from a view), so each case's is read once and kept: a list of
        100 tasks costs no case rebuilt or fast-forwarded."""
        found = self._children.get(case_id)
        if found is None:
            stored = self.recorder.select_events(case_id, limit=1)
            first = self.mapper.to_domain_event(stored[0]) if stored else None
            if not isinstance(first, Case.Identified):
                raise CaseNotFound(case_id)
            if len(self._children) >= CHILDREN_KEPT:
                self._children.clear()  # more cases than a county's: start again
            found = self._children[case_id] = (first.school_id, first.child)
        return found

    def has_events(self, case_id: UUID) -> bool:
        """Whether anything was recorded under this id: the same indexed read as
        :meth:`school_of`, without decoding."""
        return bool(self.recorder.select_events(case_id, limit=1))

    def get_mentor(self, teacher_id: str) -> Mentor | None:
        """A teacher's mentoring record, if they ever mentored."""
        try:
            mentor: Mentor = self.repository.get(
                mentor_id_for(self.id_namespace, teacher_id), projector_func=_project
            )
            return mentor
        except AggregateNotFoundError:
            return None

    # ------------------------------------------------------------ the entry point
    def handle(self, command: Command, actor: Actor) -> CommandResult:
        """Carry out ``command`` for ``actor``: what every interface calls, for every step.

        The case is read (or, for an identification, found missing), the command runs on
        it and the case is saved with any mentor whose load changed, in one atomic save.
        A save that loses a race is retried from a fresh read, so the aggregate decides
        on current state. A command whose id the case already applied records nothing and
        answers the version it reached.
        """
        if isinstance(command, IdentifyChild):
            return self._identify(command, actor)
        if isinstance(command, CaseCommand):
            return self._act(command, actor)
        raise TypeError(f"not a command: {type(command).__name__}")

    def _identify(self, command: IdentifyChild, actor: Actor) -> CommandResult:
        """Open a case for a newly identified child; the same child twice is refused."""
        command_id = command.command_id or uuid4()
        policy = self.registry.latest(command.workflow or self.default_workflow)
        for _ in range(2):
            case_id, generation, existing = self._current(command, command_id)
            if existing is not None:
                if command_id in existing.commands:
                    return self._replayed(existing, existing.commands[command_id])
                raise CaseAlreadyExists(case_id, command.school_id)
            self._check_assignees(command, command.school_id)
            ctx = self._context(actor, command.occurred_at, command_id)
            case = command.open(policy, ctx, case_id, generation=generation)
            try:
                result = self._result(case, self.save(case))
                self._hand_to_cache(case)
                return result
            except IntegrityError:
                continue  # identified concurrently: the next read tells by whom
        raise ConcurrentUpdate(case_id, 2)

    def _current(self, command: IdentifyChild, command_id: UUID) -> tuple[UUID, int, Case | None]:
        """The student's case id, generation and case: the first not erased (a new case
        after an erased one), or the erased one that applied this very command (a
        repeated import does not open a new case)."""
        generation = 0
        while True:
            case_id = case_id_for(self.id_namespace, command.school_id, command.student_no,
                                  generation)
            existing = self._find(case_id)
            if existing is None or not existing.erased or command_id in existing.commands:
                return case_id, generation, existing
            generation += 1

    # ------------------------------------------------------------ internals
    def _check_assignees(self, command: IdentifyChild | CaseCommand, school_id: str) -> None:
        """Refuse a command that names someone who may not take that work at the school."""
        if self.assignees is None:
            return
        for assignment, user_id in command.assignments():
            if not self.assignees.may_take(user_id, school_id, assignment):
                raise AssigneeNotEligible(user_id, school_id, assignment.value)

    def _act(self, command: CaseCommand, actor: Actor) -> CommandResult:
        """Run a step on an existing case, retried from a fresh read after a lost race."""
        case_id, expected = command.case_id, command.expected_version
        command_id = command.command_id or uuid4()
        for attempt in range(self.max_attempts):
            if attempt:
                self.retry_pause(attempt)
            case = self.get_case(case_id)
            if command_id in case.commands:
                return self._replayed(case, case.commands[command_id])
            if expected is not None and case.version != expected:
                raise VersionConflict(case_id, expected, case.version)
            self._check_assignees(command, case.school_id)
            ctx = self._context(actor, command.occurred_at, command_id)
            mentor_before = case.mentor_id
            command.run_in(case, self.registry, ctx)
            mentors = self._mentor_changes(case, mentor_before, ctx)
            try:
                recordings = self.save(case, *mentors)
            except IntegrityError:
                if expected is not None:
                    actual = self.get_case(case_id).version
                    raise VersionConflict(case_id, expected, actual) from None
                continue  # another writer won the race: read again and re-decide
            result = self._result(case, recordings)
            if isinstance(command, EraseCase):
                self._shred(case_id)
            else:
                self._hand_to_cache(case, *mentors)
            return result
        raise ConcurrentUpdate(case_id, self.max_attempts)

    def forget_decrypted(self, case_id: UUID) -> None:
        """Drop the case's decoded events and child from memory (it was erased, here or
        in another process)."""
        self.histories.invalidate(case_id)
        self._children.pop(case_id, None)

    def _shred(self, case_id: UUID) -> None:
        """After ``Erased`` is saved: destroy the case key, and drop what memory holds of
        the case decrypted (its events, its child, the cached aggregate: read again now,
        so the cache holds the erased case)."""
        if self.keys is not None:
            self.keys.destroy(case_id)
        self.forget_decrypted(case_id)
        if self.repository.cache is not None:
            self.repository.cache.put(case_id, self.repository.get(case_id, projector_func=_project))

    def _mentor_changes(self, case: Case, before: str | None, ctx: CommandContext) -> list[Mentor]:
        """Mentor aggregates whose load changed with this command, updated to match."""
        after = case.mentor_id
        if before == after:
            return []
        changed: list[Mentor] = []
        if before is not None:
            old = self.get_mentor(before)
            if old is not None:
                old.release(ctx, case_id=case.id)
                changed.append(old)
        if after is not None:
            new = self.get_mentor(after) or Mentor.register(
                ctx, mentor_id=mentor_id_for(self.id_namespace, after), teacher_id=after
            )
            # A teacher of several schools has the capacity at each: only this school's
            # children count against it.
            counted = [c for c in new.children if self.school_of(c) == case.school_id]
            new.assign(ctx, case_id=case.id, capacity=self.mentor_capacity, counted=counted)
            changed.append(new)
        return changed

    def _find(self, case_id: UUID) -> Case | None:
        try:
            return self.get_case(case_id)
        except CaseNotFound:
            return None

    def _context(self, actor: Actor, occurred_at: datetime | None, command_id: UUID) -> CommandContext:
        """The command's context: ``occurred_at`` as stated (None: now), recorded now."""
        now = self.clock()
        return CommandContext(
            actor=actor, command_id=command_id, occurred_at=occurred_at or now, recorded_at=now
        )

    def _hand_to_cache(self, *saved: Case | Mentor) -> None:
        """Cache aggregates just saved, so the next command need not re-apply their events.

        The objects themselves, not copies: the caller is done with them (a read by another
        thread may fast-forward a cached object in place, and every read gets a copy).
        """
        if self.repository.cache is not None:
            for aggregate in saved:
                self.repository.cache.put(aggregate.id, aggregate)

    def _result(self, case: Case, recordings: Sequence[Recording[UUID]]) -> CommandResult:
        own = [r.domain_event for r in recordings if r.domain_event.originator_id == case.id]
        scheduled = tuple(
            case.follow_ups[e.follow_up_id]
            for e in own
            if isinstance(e, Case.FollowUpScheduled)
        )
        position = max((r.notification.id for r in recordings), default=None)
        return CommandResult(
            case_id=case.id,
            state=case.state,
            version=case.version,
            position=position if position is not None else self.position(),
            events=tuple(type(e).__name__ for e in own),
            scheduled=scheduled,
        )

    def _replayed(self, case: Case, version: int) -> CommandResult:
        """The answer to a retried command: the version it reached, nothing new recorded."""
        return CommandResult(
            case_id=case.id,
            state=self.get_case(case.id, version=version).state,
            version=version,
            position=self.position(),
            replayed=True,
        )


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply events in order: eventsourcing's ``project_aggregate`` without its per-event
    runtime Protocol check (a cost on every read: docs/performance.md)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _jittered_pause(attempt: int) -> None:
    """Wait a random moment before retrying a lost race, so writers stop colliding in step."""
    time.sleep(random.uniform(0, 0.002 * 2**attempt))  # noqa: S311 - jitter, not a secret
