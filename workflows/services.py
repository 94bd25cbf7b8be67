"""The use cases: one method per step a user takes, each ``verb_noun``.

Each method reads the case, calls one command on it, and saves the case (and any
mentor whose load changed) in one atomic save. A save that loses a race is retried
from a fresh read, so the aggregate re-decides on current state.

Events are pydantic models: the application must be configured with a mapper that
knows them (``MAPPER_TOPIC``; ``adapters.persistence`` does this).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError, Recording
from eventsourcing.utils import EnvType

from domain.base import Frozen
from domain.case import Case
from domain.errors import AlreadyApplied, CaseAlreadyExists, CaseNotFound
from domain.ids import DEFAULT_NAMESPACE, case_id_for, mentor_id_for
from domain.mentor import Mentor
from domain.values import (
    Actor,
    Child,
    ClosureReason,
    CommandContext,
    ContactChannel,
    ContactParty,
    FollowUp,
    Guardian,
    Parents,
    ReviewOutcome,
    RiskLevel,
    Role,
)
from workflows.errors import ConcurrentUpdate, VersionConflict
from workflows.registry import Registry

#: The scheduler's identity in the events it causes.
SYSTEM_ACTOR = Actor(user_id="scheduler", role=Role.SYSTEM)

CaseCommand = Callable[[Case, Any, CommandContext], object]


class CommandResult(Frozen):
    """What a command reached: the case's version and the log position to wait for."""

    case_id: UUID
    state: str
    version: int
    position: int
    replayed: bool = False
    events: tuple[str, ...] = ()
    scheduled: tuple[FollowUp, ...] = ()


class CaseService(Application[UUID]):
    """The case application: use cases over the event store."""

    name = "cases"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Case: 50, Mentor: 50}

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        registry: Registry,
        clock: Callable[[], datetime],
        id_namespace: UUID = DEFAULT_NAMESPACE,
        default_workflow: str = "left_behind",
        mentor_capacity: int = 3,
        snapshot_interval: int = 50,
        max_attempts: int = 8,
        retry_pause: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(env)
        self.registry = registry
        self.clock = clock
        self.id_namespace = id_namespace
        self.default_workflow = default_workflow
        self.mentor_capacity = mentor_capacity
        self.max_attempts = max_attempts
        self.retry_pause = retry_pause or _jittered_pause
        # eventsourcing's own snapshotting (the class attribute keeps its snapshot store)
        # rebuilds the aggregate from the store at each multiple of the interval; ``save``
        # below snapshots the aggregate it already holds instead.
        self.snapshotting_intervals = {}  # type: ignore[misc]
        self.snapshot_interval = snapshot_interval
        self._listeners: list[Callable[[int], None]] = []

    # ------------------------------------------------------------ wiring
    def on_saved(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(position)`` after every save (wakes in-process projections)."""
        self._listeners.append(listener)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        if recordings:
            position = max(r.notification.id for r in recordings)
            for listener in self._listeners:
                listener(position)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save atomically, then snapshot the aggregates whose save crossed a multiple of the
        snapshot interval (at the save's last version), from the aggregate in memory
        (eventsourcing's snapshotting would rebuild it from the store).
        """
        saved = [o for o in objs if o is not None]
        if not all(isinstance(o, Case | Mentor) for o in saved):
            raise TypeError("CaseService saves Case and Mentor aggregates only")
        interval = self.snapshot_interval
        crossing = [
            o for o in saved
            if interval and (o.version - len(o.pending_events)) // interval < o.version // interval
        ]
        # eventsourcing's save() tells events from aggregates with runtime Protocol checks
        # (about 10 us each); ours are always aggregates.
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        for aggregate in saved:
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._notify(recordings)
        if crossing and self.snapshots is not None:
            self.snapshots.put([o.Snapshot.take(o) for o in crossing])
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

    def has_events(self, case_id: UUID) -> bool:
        """Whether anything was recorded under this id: the same indexed read as
        :meth:`school_of`, without decoding."""
        return bool(self.recorder.select_events(case_id, limit=1))

    def case_as_of(self, case_id: UUID, as_of: datetime) -> Case:
        """The case as the system knew it at ``as_of`` (by recorded time)."""
        version = 0
        for event in self.events.get(case_id):
            if event.timestamp > as_of:  # type: ignore[attr-defined]
                break
            version = event.originator_version
        if version == 0:
            raise CaseNotFound(case_id)
        return self.get_case(case_id, version=version)

    def history(self, case_id: UUID) -> list[Case.Event]:
        """Every event of the case, in order."""
        events: list[Case.Event] = list(self.events.get(case_id))  # type: ignore[arg-type]
        if not events or not isinstance(events[0], Case.Identified):
            raise CaseNotFound(case_id)
        return events

    def get_mentor(self, teacher_id: str) -> Mentor | None:
        """A teacher's mentoring record, if they ever mentored."""
        try:
            mentor: Mentor = self.repository.get(
                mentor_id_for(self.id_namespace, teacher_id), projector_func=_project
            )
            return mentor
        except AggregateNotFoundError:
            return None

    # ------------------------------------------------------------ use cases
    def identify_child(
        self,
        actor: Actor,
        *,
        school_id: str,
        student_no: str,
        child: Child,
        guardian: Guardian,
        parents: Parents,
        head_teacher_id: str,
        occurred_at: datetime,
        risk_level: RiskLevel = RiskLevel.NORMAL,
        workflow: str | None = None,
        command_id: UUID | None = None,
    ) -> CommandResult:
        """Open a case for a newly identified child; the same child twice is refused."""
        case_id = self.case_id_for(school_id, student_no)
        command_id = command_id or uuid4()
        policy = self.registry.latest(workflow or self.default_workflow)
        for _ in range(2):
            existing = self._find(case_id)
            if existing is not None:
                if command_id in existing.commands:
                    return self._replayed(existing, existing.commands[command_id])
                raise CaseAlreadyExists(case_id, school_id)
            ctx = self._context(actor, occurred_at, command_id)
            case = Case.identify(
                policy, ctx, case_id=case_id, school_id=school_id, student_no=student_no,
                child=child, guardian=guardian, parents=parents,
                head_teacher_id=head_teacher_id, risk_level=risk_level,
            )
            try:
                result = self._result(case, self.save(case))
                self._hand_to_cache(case)
                return result
            except IntegrityError:
                continue  # identified concurrently: the next read tells by whom
        raise ConcurrentUpdate(case_id, 2)

    def record_home_visit(
        self, case_id: UUID, actor: Actor, *, occurred_at: datetime, guardian_met: bool,
        observations: str | None = None, **opts: Any,
    ) -> CommandResult:
        """Record a home visit."""
        return self._act(case_id, actor, occurred_at, opts, lambda c, p, x: c.record_home_visit(
            p, x, guardian_met=guardian_met, observations=observations))

    def pair_mentor(
        self, case_id: UUID, actor: Actor, *, occurred_at: datetime, teacher_id: str, **opts: Any
    ) -> CommandResult:
        """Pair the child with a mentor (or hand over to another), within the mentor's cap."""
        return self._act(case_id, actor, occurred_at, opts,
                         lambda c, p, x: c.pair_mentor(p, x, teacher_id=teacher_id))

    def release_mentor(
        self, case_id: UUID, actor: Actor, *, occurred_at: datetime, reason: str, **opts: Any
    ) -> CommandResult:
        """End the child's pairing."""
        return self._act(case_id, actor, occurred_at, opts,
                         lambda c, p, x: c.release_mentor(p, x, reason=reason))

    def record_counselling(
        self, case_id: UUID, actor: Actor, *, occurred_at: datetime, summary: str | None = None,
        risk_level: RiskLevel | None = None, **opts: Any,
    ) -> CommandResult:
        """Record a counselling session (and optionally a new risk level)."""
        return self._act(case_id, actor, occurred_at, opts, lambda c, p, x: c.record_counselling(
            p, x, summary=summary, risk_level=risk_level))

    def review_case(
        self, case_id: UUID, actor: Actor, *, occurred_at: datetime, outcome: ReviewOutcome,
        summary: str | None = None, **opts: Any,
    ) -> CommandResult:
        """Review the case: continue, close, or raise the risk."""
        return self._act(case_id, actor, occurred_at, opts,
                         lambda c, p, x: c.review_case(p, x, outcome=outcome, summary=summary))

    def close_case(
        self, case_id: UUID, actor: Actor, *, occurred_at: datetime, reason: ClosureReason,
        note: str | None = None, **opts: Any,
    ) -> CommandResult:
        """Close the case; its mentor is released and open tasks are cancelled."""
        return self._act(case_id, actor, occurred_at, opts,
                         lambda c, p, x: c.close_case(p, x, reason=reason, note=note))

    def reopen_case(
        self, case_id: UUID, actor: Actor, *, occurred_at: datetime, reason: str, **opts: Any
    ) -> CommandResult:
        """Reopen a closed case."""
        return self._act(case_id, actor, occurred_at, opts,
                         lambda c, p, x: c.reopen_case(p, x, reason=reason))

    def log_contact(
        self, case_id: UUID, actor: Actor, *, occurred_at: datetime, party: ContactParty,
        channel: ContactChannel, summary: str | None = None, **opts: Any,
    ) -> CommandResult:
        """Log contact with the guardian, a parent or the child."""
        return self._act(case_id, actor, occurred_at, opts, lambda c, p, x: c.log_contact(
            p, x, party=party, channel=channel, summary=summary))

    def add_note(
        self, case_id: UUID, actor: Actor, *, occurred_at: datetime, text: str, **opts: Any
    ) -> CommandResult:
        """Add a note to the growth diary."""
        return self._act(case_id, actor, occurred_at, opts,
                         lambda c, p, x: c.add_note(p, x, text=text))

    def assign_head_teacher(
        self, case_id: UUID, actor: Actor, *, occurred_at: datetime, teacher_id: str, **opts: Any
    ) -> CommandResult:
        """Give the child another head teacher."""
        return self._act(case_id, actor, occurred_at, opts,
                         lambda c, p, x: c.assign_head_teacher(p, x, teacher_id=teacher_id))

    def change_risk_level(
        self, case_id: UUID, actor: Actor, *, occurred_at: datetime, level: RiskLevel,
        reason: str | None = None, **opts: Any,
    ) -> CommandResult:
        """Reassess the child's risk."""
        return self._act(case_id, actor, occurred_at, opts,
                         lambda c, p, x: c.change_risk_level(p, x, level=level, reason=reason))

    def complete_follow_up(
        self, case_id: UUID, actor: Actor, *, occurred_at: datetime, follow_up_id: UUID,
        note: str | None = None, **opts: Any,
    ) -> CommandResult:
        """Mark an open follow-up done by hand."""
        return self._act(case_id, actor, occurred_at, opts, lambda c, p, x: c.complete_follow_up(
            p, x, follow_up_id=follow_up_id, note=note))

    def escalate_follow_up(self, case_id: UUID, follow_up_id: UUID, level: int) -> CommandResult:
        """Escalate an overdue task (for the scheduler). Idempotent; re-checked by the case."""
        command_id = uuid5(follow_up_id, f"escalate\x1f{level}")
        return self._act(
            case_id, SYSTEM_ACTOR, self.clock(), {"command_id": command_id},
            lambda c, p, x: c.escalate_follow_up(p, x, follow_up_id=follow_up_id, level=level),
        )

    # ------------------------------------------------------------ internals
    def _act(
        self,
        case_id: UUID,
        actor: Actor,
        occurred_at: datetime,
        opts: dict[str, Any],
        command: CaseCommand,
    ) -> CommandResult:
        command_id: UUID = opts.pop("command_id", None) or uuid4()
        expected: int | None = opts.pop("expected_version", None)
        if opts:
            raise TypeError(f"unexpected options: {', '.join(opts)}")
        for attempt in range(self.max_attempts):
            if attempt:
                self.retry_pause(attempt)
            case = self.get_case(case_id)
            if command_id in case.commands:
                return self._replayed(case, case.commands[command_id])
            if expected is not None and case.version != expected:
                raise VersionConflict(case_id, expected, case.version)
            ctx = self._context(actor, occurred_at, command_id)
            mentor_before = case.mentor_id
            try:
                command(case, self.registry.get(case.workflow), ctx)
            except AlreadyApplied as e:  # pragma: no cover - checked above, kept as a guard
                return self._replayed(case, e.version)
            mentors = self._mentor_changes(case, mentor_before, ctx)
            try:
                recordings = self.save(case, *mentors)
            except IntegrityError:
                if expected is not None:
                    actual = self.get_case(case_id).version
                    raise VersionConflict(case_id, expected, actual) from None
                continue  # another writer won the race: read again and re-decide
            result = self._result(case, recordings)
            self._hand_to_cache(case, *mentors)
            return result
        raise ConcurrentUpdate(case_id, self.max_attempts)

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
            new.assign(ctx, case_id=case.id, capacity=self.mentor_capacity)
            changed.append(new)
        return changed

    def _find(self, case_id: UUID) -> Case | None:
        try:
            return self.get_case(case_id)
        except CaseNotFound:
            return None

    def _context(self, actor: Actor, occurred_at: datetime, command_id: UUID) -> CommandContext:
        return CommandContext(
            actor=actor, command_id=command_id, occurred_at=occurred_at, recorded_at=self.clock()
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
    runtime Protocol check (about 11 µs on a pydantic event, on every read)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _jittered_pause(attempt: int) -> None:
    """Wait a random moment before retrying a lost race, so writers stop colliding in step."""
    time.sleep(random.uniform(0, 0.002 * 2**attempt))  # noqa: S311 - jitter, not a secret
