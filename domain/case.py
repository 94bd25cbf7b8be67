"""The Case aggregate: one left-behind child's case file and its follow-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel

from domain.base import Aggregate, AggregateSnapshot, SnapshotState
from domain.errors import (
    AlreadyApplied,
    FollowUpNotOpen,
    IllegalStep,
    InvalidCommand,
    OccurredBeforeCase,
    OccurredInFuture,
)
from domain.ids import follow_up_id_for
from domain.policy import Cancel, Complete, Reassign, Schedule, WorkflowPolicy
from domain.values import (
    EARLIEST_BIRTH_DATE,
    EARLIEST_OCCURRED_AT,
    FUTURE_TOLERANCE,
    Action,
    Actor,
    AssigneeRole,
    Child,
    ClosureReason,
    CommandContext,
    ContactChannel,
    ContactParty,
    FollowUp,
    FollowUpStatus,
    Guardian,
    Parents,
    ReviewOutcome,
    RiskLevel,
    WorkflowRef,
    valid_id,
    valid_text,
)

ONE_DAY = timedelta(days=1)


class CaseState(SnapshotState):
    """Everything a case knows, as kept in a snapshot."""

    school_id: str
    student_no: str
    child: Child
    guardian: Guardian
    parents: Parents
    head_teacher_id: str
    counselling_teacher_id: str | None
    mentor_id: str | None
    risk_level: RiskLevel
    state: str
    workflow: WorkflowRef
    opened_at: AwareDatetime
    closed_at: AwareDatetime | None
    follow_ups: dict[UUID, FollowUp]
    rule_counts: dict[str, int]
    commands: dict[UUID, int]


class Case(Aggregate):
    """A child's case: its state machine refuses illegal steps and drives follow-ups.

    Command methods validate everything first and only then trigger events, so a
    refused command leaves the case untouched. Event ``apply`` methods only assign.
    """

    if TYPE_CHECKING:  # Declared for type checkers only: annotations would make a dataclass.
        school_id: str
        student_no: str
        child: Child
        guardian: Guardian
        parents: Parents
        head_teacher_id: str
        counselling_teacher_id: str | None
        mentor_id: str | None
        risk_level: RiskLevel
        state: str
        workflow: WorkflowRef
        opened_at: datetime
        closed_at: datetime | None
        follow_ups: dict[UUID, FollowUp]
        rule_counts: dict[str, int]
        commands: dict[UUID, int]

    # ----------------------------------------------------------------- events
    class Event(Aggregate.Event):
        """Every case event says who acted, when the act happened, for which command."""

        actor: Actor
        occurred_at: AwareDatetime
        command_id: UUID
        workflow: WorkflowRef

        def mutate(self, aggregate: Any) -> Any:
            case = super().mutate(aggregate)
            assert isinstance(case, Case)
            # Remember the command so a retry is recognised (last event wins: its version).
            case.commands[self.command_id] = self.originator_version
            return case

    class Identified(Event, Aggregate.Created):
        """A child was identified as left behind and a case opened."""

        school_id: str
        student_no: str
        child: Child
        guardian: Guardian
        parents: Parents
        head_teacher_id: str
        risk_level: RiskLevel
        state: str

        def apply(self, case: Case) -> None:
            case.school_id = self.school_id
            case.student_no = self.student_no
            case.child = self.child
            case.guardian = self.guardian
            case.parents = self.parents
            case.head_teacher_id = self.head_teacher_id
            case.counselling_teacher_id = None
            case.mentor_id = None
            case.risk_level = self.risk_level
            case.state = self.state
            case.workflow = self.workflow
            case.opened_at = self.occurred_at
            case.closed_at = None
            case.follow_ups = {}
            case.rule_counts = {}
            case.commands = {}

    class HomeVisited(Event):
        """A teacher visited the child's home (家访)."""

        guardian_met: bool
        observations: str | None = None
        state: str

        def apply(self, case: Case) -> None:
            case.state = self.state

    class MentorPaired(Event):
        """A teacher became the child's mentor (结对帮扶)."""

        mentor_id: str
        state: str

        def apply(self, case: Case) -> None:
            case.mentor_id = self.mentor_id
            case.state = self.state

    class MentorReleased(Event):
        """The mentor stopped mentoring the child."""

        mentor_id: str
        reason: str
        state: str

        def apply(self, case: Case) -> None:
            case.mentor_id = None
            case.state = self.state

    class CounsellingHeld(Event):
        """A counselling session took place (心理辅导)."""

        counsellor_id: str
        summary: str | None = None
        state: str

        def apply(self, case: Case) -> None:
            case.counselling_teacher_id = self.counsellor_id
            case.state = self.state

    class Reviewed(Event):
        """The case was reviewed; the outcome says how it goes on."""

        outcome: ReviewOutcome
        summary: str | None = None
        state: str

        def apply(self, case: Case) -> None:
            case.state = self.state

    class Closed(Event):
        """The case was closed."""

        reason: ClosureReason
        note: str | None = None
        state: str

        def apply(self, case: Case) -> None:
            case.state = self.state
            case.closed_at = self.occurred_at

    class Reopened(Event):
        """A closed case was reopened."""

        reason: str
        state: str

        def apply(self, case: Case) -> None:
            case.state = self.state
            case.closed_at = None

    class ContactLogged(Event):
        """A teacher was in contact with the guardian, a parent, or the child."""

        party: ContactParty
        channel: ContactChannel
        summary: str | None = None

    class DetailsAmended(Event):
        """The family's details changed: another guardian or their phone, or where the
        parents are. ``guardian_changed``: the child now lives with another person."""

        guardian: Guardian | None = None
        parents: Parents | None = None
        guardian_changed: bool = False

        def apply(self, case: Case) -> None:
            if self.guardian is not None:
                case.guardian = self.guardian
            if self.parents is not None:
                case.parents = self.parents

    class NoteAdded(Event):
        """A dated note in the child's growth diary (成长日记)."""

        text: str

    class HeadTeacherAssigned(Event):
        """Another head teacher (班主任) took over the child."""

        teacher_id: str

        def apply(self, case: Case) -> None:
            case.head_teacher_id = self.teacher_id

    class RiskLevelChanged(Event):
        """The child's assessed risk changed."""

        level: RiskLevel
        reason: str | None = None

        def apply(self, case: Case) -> None:
            case.risk_level = self.level

    class FollowUpScheduled(Event):
        """A follow-up task was opened with a due date."""

        follow_up_id: UUID
        rule_id: str
        sequence: int
        kind: str
        due_at: AwareDatetime
        assignee_role: AssigneeRole
        assignee_id: str | None

        def apply(self, case: Case) -> None:
            case.rule_counts[self.rule_id] = self.sequence
            case._put_task(FollowUp(
                follow_up_id=self.follow_up_id,
                rule_id=self.rule_id,
                sequence=self.sequence,
                kind=self.kind,
                due_at=self.due_at,
                assignee_role=self.assignee_role,
                assignee_id=self.assignee_id,
                scheduled_at=self.occurred_at,
            ))

    class FollowUpCompleted(Event):
        """A follow-up task was done (by an event, or marked done by its assignee)."""

        follow_up_id: UUID
        completed_by: str
        note: str | None = None

        def apply(self, case: Case) -> None:
            case._close_follow_up(self.follow_up_id, FollowUpStatus.DONE, self.occurred_at)

    class FollowUpCancelled(Event):
        """A follow-up task no longer applies."""

        follow_up_id: UUID
        reason: str

        def apply(self, case: Case) -> None:
            case._close_follow_up(self.follow_up_id, FollowUpStatus.CANCELLED, self.occurred_at)

    class FollowUpReassigned(Event):
        """An open task passed to whoever now holds its assignee role."""

        follow_up_id: UUID
        assignee_id: str | None

        def apply(self, case: Case) -> None:
            task = case.follow_ups[self.follow_up_id]
            case._put_task(task.model_copy(update={"assignee_id": self.assignee_id}))

    class FollowUpEscalated(Event):
        """An overdue task was escalated up the ladder."""

        follow_up_id: UUID
        level: int
        to_role: AssigneeRole
        days_overdue: int

        def apply(self, case: Case) -> None:
            task = case.follow_ups[self.follow_up_id]
            case._put_task(task.model_copy(update={"escalation_level": self.level}))

    class Snapshot(AggregateSnapshot):
        """A case as of one version."""

        state: CaseState

    # ------------------------------------------------------------- creation
    @classmethod
    def identify(
        cls,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        case_id: UUID,
        school_id: str,
        student_no: str,
        child: Child,
        guardian: Guardian,
        parents: Parents,
        head_teacher_id: str,
        risk_level: RiskLevel = RiskLevel.NORMAL,
    ) -> Self:
        """Open the case of a newly identified child."""
        _check_when(ctx)
        _check_child(child, ctx)
        school_id = valid_id("school_id", school_id)
        student_no = valid_id("student_no", student_no)
        head_teacher_id = valid_id("head_teacher_id", head_teacher_id)
        case = cls.start(
            cls.Identified,
            originator_id=case_id,
            timestamp=ctx.recorded_at,
            actor=ctx.actor,
            occurred_at=ctx.occurred_at,
            command_id=ctx.command_id,
            workflow=policy.ref,
            school_id=school_id,
            student_no=student_no,
            child=child,
            guardian=guardian,
            parents=parents,
            head_teacher_id=head_teacher_id,
            risk_level=risk_level,
            state=policy.initial_state,
        )
        case._decide_follow_ups(policy, ctx, start=0, before=None)
        return case

    # ------------------------------------------------------------- commands
    def record_home_visit(
        self,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        guardian_met: bool,
        observations: str | None = None,
    ) -> None:
        """Record a home visit (家访)."""
        start, before = self._begin(policy, ctx, Action.RECORD_HOME_VISIT)
        self._trigger(
            ctx,
            self.HomeVisited,
            guardian_met=guardian_met,
            observations=valid_text("observations", observations),
            state=policy.next_state(before, Action.RECORD_HOME_VISIT),
        )
        self._decide_follow_ups(policy, ctx, start, before)

    def pair_mentor(self, policy: WorkflowPolicy, ctx: CommandContext, *, teacher_id: str) -> None:
        """Pair the child with a mentor; pairing another mentor hands the child over."""
        start, before = self._begin(policy, ctx, Action.PAIR_MENTOR)
        teacher_id = valid_id("teacher_id", teacher_id)
        after = policy.next_state(before, Action.PAIR_MENTOR)
        if self.mentor_id == teacher_id and after == before:
            raise InvalidCommand(f"case {self.id} is already paired with mentor {teacher_id}")
        if self.mentor_id is not None and self.mentor_id != teacher_id:
            self._trigger(
                ctx,
                self.MentorReleased,
                mentor_id=self.mentor_id,
                reason=f"handed over to {teacher_id}",
                state=before,
            )
        self._trigger(ctx, self.MentorPaired, mentor_id=teacher_id, state=after)
        self._decide_follow_ups(policy, ctx, start, before)

    def release_mentor(self, policy: WorkflowPolicy, ctx: CommandContext, *, reason: str) -> None:
        """End the pairing (the teacher left, or the pairing did not work)."""
        start, before = self._begin(policy, ctx, Action.RELEASE_MENTOR)
        if self.mentor_id is None:
            raise InvalidCommand(f"case {self.id} has no mentor to release")
        self._trigger(
            ctx,
            self.MentorReleased,
            mentor_id=self.mentor_id,
            reason=valid_text("reason", reason, short=True),
            state=policy.next_state(before, Action.RELEASE_MENTOR),
        )
        self._decide_follow_ups(policy, ctx, start, before)

    def record_counselling(
        self,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        summary: str | None = None,
        risk_level: RiskLevel | None = None,
    ) -> None:
        """Record a counselling session held by the acting teacher; may reassess risk."""
        start, before = self._begin(policy, ctx, Action.RECORD_COUNSELLING)
        self._trigger(
            ctx,
            self.CounsellingHeld,
            counsellor_id=ctx.actor.user_id,
            summary=valid_text("summary", summary),
            state=policy.next_state(before, Action.RECORD_COUNSELLING),
        )
        if risk_level is not None and risk_level != self.risk_level:
            self._trigger(ctx, self.RiskLevelChanged, level=risk_level, reason="counselling")
        self._decide_follow_ups(policy, ctx, start, before)

    def review_case(
        self,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        outcome: ReviewOutcome,
        summary: str | None = None,
    ) -> None:
        """Review the case: continue it, close it, or continue at high risk."""
        start, before = self._begin(policy, ctx, Action.REVIEW_CASE)
        after = policy.next_state(before, Action.REVIEW_CASE)
        if outcome is ReviewOutcome.CLOSE:
            self._check_allowed(policy, after, Action.CLOSE_CASE)
        summary = valid_text("summary", summary)
        self._trigger(ctx, self.Reviewed, outcome=outcome, summary=summary, state=after)
        if outcome is ReviewOutcome.RAISE_RISK and self.risk_level is not RiskLevel.HIGH:
            self._trigger(ctx, self.RiskLevelChanged, level=RiskLevel.HIGH, reason="review")
        if outcome is ReviewOutcome.CLOSE:
            self._close(policy, ctx, ClosureReason.REVIEWED, summary)
        self._decide_follow_ups(policy, ctx, start, before)

    def close_case(
        self,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        reason: ClosureReason,
        note: str | None = None,
    ) -> None:
        """Close the case (parents came home, the child left or graduated...)."""
        start, before = self._begin(policy, ctx, Action.CLOSE_CASE)
        self._close(policy, ctx, reason, valid_text("note", note))
        self._decide_follow_ups(policy, ctx, start, before)

    def reopen_case(self, policy: WorkflowPolicy, ctx: CommandContext, *, reason: str) -> None:
        """Reopen a closed case."""
        start, before = self._begin(policy, ctx, Action.REOPEN_CASE)
        self._trigger(
            ctx,
            self.Reopened,
            reason=valid_text("reason", reason, short=True),
            state=policy.next_state(before, Action.REOPEN_CASE),
        )
        self._decide_follow_ups(policy, ctx, start, before)

    def log_contact(
        self,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        party: ContactParty,
        channel: ContactChannel,
        summary: str | None = None,
    ) -> None:
        """Log a contact with the guardian, a parent, or (a mentor's talk) the child."""
        start, before = self._begin(policy, ctx, Action.LOG_CONTACT)
        self._trigger(
            ctx, self.ContactLogged, party=party, channel=channel,
            summary=valid_text("summary", summary),
        )
        self._decide_follow_ups(policy, ctx, start, before)

    def amend_details(
        self,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        guardian: Guardian | None = None,
        parents: Parents | None = None,
    ) -> None:
        """Record what changed about the family; history keeps what was true before."""
        start, before = self._begin(policy, ctx, Action.AMEND_DETAILS)
        guardian = guardian if guardian != self.guardian else None
        parents = parents if parents != self.parents else None
        if guardian is None and parents is None:
            raise InvalidCommand(f"case {self.id}: the details given are the ones it has")
        moved = guardian is not None and (guardian.name, guardian.relation) != (
            self.guardian.name, self.guardian.relation
        )
        self._trigger(
            ctx, self.DetailsAmended, guardian=guardian, parents=parents, guardian_changed=moved
        )
        self._decide_follow_ups(policy, ctx, start, before)

    def add_note(self, policy: WorkflowPolicy, ctx: CommandContext, *, text: str) -> None:
        """Add a dated note to the growth diary."""
        start, before = self._begin(policy, ctx, Action.ADD_NOTE)
        self._trigger(ctx, self.NoteAdded, text=valid_text("text", text))
        self._decide_follow_ups(policy, ctx, start, before)

    def assign_head_teacher(
        self, policy: WorkflowPolicy, ctx: CommandContext, *, teacher_id: str
    ) -> None:
        """Hand the child to another head teacher; their open tasks follow."""
        start, before = self._begin(policy, ctx, Action.ASSIGN_HEAD_TEACHER)
        teacher_id = valid_id("teacher_id", teacher_id)
        if teacher_id == self.head_teacher_id:
            raise InvalidCommand(f"{teacher_id} is already head teacher of case {self.id}")
        self._trigger(ctx, self.HeadTeacherAssigned, teacher_id=teacher_id)
        self._decide_follow_ups(policy, ctx, start, before)

    def change_risk_level(
        self,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        level: RiskLevel,
        reason: str | None = None,
    ) -> None:
        """Reassess the child's risk."""
        start, before = self._begin(policy, ctx, Action.CHANGE_RISK_LEVEL)
        if level == self.risk_level:
            raise InvalidCommand(f"case {self.id} is already at risk level {level}")
        self._trigger(
            ctx, self.RiskLevelChanged, level=level, reason=valid_text("reason", reason, short=True)
        )
        self._decide_follow_ups(policy, ctx, start, before)

    def complete_follow_up(
        self,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        follow_up_id: UUID,
        note: str | None = None,
    ) -> None:
        """Mark an open task done by hand (its assignee did it outside the usual steps)."""
        start, before = self._begin(policy, ctx, Action.COMPLETE_FOLLOW_UP)
        task = self.follow_ups.get(follow_up_id)
        if task is None or not task.is_open:
            raise FollowUpNotOpen(self.id, follow_up_id, task.status if task else None)
        self._trigger(
            ctx, self.FollowUpCompleted, follow_up_id=follow_up_id, completed_by="hand",
            note=valid_text("note", note),
        )
        self._decide_follow_ups(policy, ctx, start, before)

    def escalate_follow_up(
        self, policy: WorkflowPolicy, ctx: CommandContext, *, follow_up_id: UUID, level: int
    ) -> bool:
        """Escalate an overdue task to ``level`` if it still deserves it.

        Re-checks everything against the case itself (the caller read a view that may
        lag): records nothing, and returns False, if the task is closed, already at that
        level or above, or not yet overdue enough at ``ctx.recorded_at``.
        """
        self._check_command_new(ctx)
        task = self.follow_ups.get(follow_up_id)
        if task is None:
            raise FollowUpNotOpen(self.id, follow_up_id, None)
        step = next((s for s in policy.escalation_ladder() if s.level == level), None)
        if step is None:
            raise InvalidCommand(f"workflow {self.workflow} has no escalation level {level}")
        days_overdue = (ctx.recorded_at - task.due_at) // ONE_DAY
        if not task.is_open or task.escalation_level >= level or days_overdue < step.after_days:
            return False
        self._trigger(
            ctx,
            self.FollowUpEscalated,
            follow_up_id=follow_up_id,
            level=level,
            to_role=step.to,
            days_overdue=days_overdue,
        )
        return True

    # ------------------------------------------------------------- queries
    @property
    def open_follow_ups(self) -> list[FollowUp]:
        """Open tasks, soonest due first."""
        return sorted(self.open_tasks.values(), key=_due)

    @property
    def open_tasks(self) -> dict[UUID, FollowUp]:
        """Open tasks by id: an index over ``follow_ups``, which keeps every task ever opened.

        Derived, not stored: built on first use (after a replay or a snapshot) and kept
        current by the events from then on.
        """
        index: dict[UUID, FollowUp] | None = self.__dict__.get("_open")
        if index is None:
            index = {k: t for k, t in self.follow_ups.items() if t.is_open}
            self.__dict__["_open"] = index
        return index

    # ------------------------------------------------------------- internals
    def _begin(self, policy: WorkflowPolicy, ctx: CommandContext, action: Action) -> tuple[int, str]:
        """Check a command may run; return where its events start and the state before it."""
        self._check_command_new(ctx)
        if policy.ref != self.workflow:
            raise InvalidCommand(
                f"case {self.id} follows {self.workflow}, not {policy.ref}"
            )
        _check_when(ctx)
        if ctx.occurred_at < self.opened_at:
            raise OccurredBeforeCase(self.id, ctx.occurred_at, self.opened_at)
        self._check_allowed(policy, self.state, action)
        return len(self.pending_events), self.state

    def _check_command_new(self, ctx: CommandContext) -> None:
        version = self.commands.get(ctx.command_id)
        if version is not None:
            raise AlreadyApplied(ctx.command_id, version)

    def _check_allowed(self, policy: WorkflowPolicy, state: str, action: Action) -> None:
        allowed = policy.allowed_actions(state)
        if action not in allowed:
            raise IllegalStep(self.id, state, action.value, [a.value for a in allowed])

    def _close(
        self, policy: WorkflowPolicy, ctx: CommandContext, reason: ClosureReason, note: str | None
    ) -> None:
        if self.mentor_id is not None:
            self._trigger(
                ctx, self.MentorReleased, mentor_id=self.mentor_id, reason="case closed",
                state=self.state,
            )
        self._trigger(
            ctx, self.Closed, reason=reason, note=note,
            state=policy.next_state(self.state, Action.CLOSE_CASE),
        )

    def _trigger(self, ctx: CommandContext, event_class: type[Case.Event], **kwargs: Any) -> None:
        self.trigger_event(
            event_class,
            timestamp=ctx.recorded_at,
            actor=ctx.actor,
            occurred_at=ctx.occurred_at,
            command_id=ctx.command_id,
            workflow=self.workflow,
            **kwargs,
        )

    def _decide_follow_ups(
        self, policy: WorkflowPolicy, ctx: CommandContext, start: int, before: str | None
    ) -> None:
        """Turn the policy's decisions about this command's events into follow-up events."""
        own: Sequence[BaseModel] = self.pending_events[start:]  # type: ignore[assignment]
        entered = self.state if self.state != before else None
        for decision in policy.decide_follow_ups(self, entered, own, ctx.occurred_at):
            match decision:
                case Schedule():
                    sequence = self.rule_counts.get(decision.rule_id, 0) + 1
                    self._trigger(
                        ctx,
                        self.FollowUpScheduled,
                        follow_up_id=follow_up_id_for(self.id, decision.rule_id, sequence),
                        sequence=sequence,
                        **decision.model_dump(),
                    )
                case Complete():
                    self._trigger(ctx, self.FollowUpCompleted, **decision.model_dump())
                case Cancel():
                    self._trigger(ctx, self.FollowUpCancelled, **decision.model_dump())
                case Reassign():
                    self._trigger(ctx, self.FollowUpReassigned, **decision.model_dump())

    def _close_follow_up(self, follow_up_id: UUID, status: FollowUpStatus, at: Any) -> None:
        task = self.follow_ups[follow_up_id]
        self._put_task(task.model_copy(update={"status": status, "closed_at": at}))

    def __eq__(self, other: object) -> bool:
        # The open-task index is derived: two cases are equal whether or not it was built.
        if type(other) is not type(self):
            return False
        mine = {k: v for k, v in vars(self).items() if k != "_open"}
        theirs = {k: v for k, v in vars(other).items() if k != "_open"}
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]  # mutable: equality, no hashing

    def _put_task(self, task: FollowUp) -> None:
        """Record a task's new state, keeping the index of open tasks current if built."""
        self.follow_ups[task.follow_up_id] = task
        index: dict[UUID, FollowUp] | None = self.__dict__.get("_open")
        if index is not None:
            if task.is_open:
                index[task.follow_up_id] = task
            else:
                index.pop(task.follow_up_id, None)


def _check_when(ctx: CommandContext) -> None:
    """A stated ``occurred_at`` lies between :data:`EARLIEST_OCCURRED_AT` and now (with the
    tolerated clock skew)."""
    if ctx.occurred_at > ctx.recorded_at + FUTURE_TOLERANCE:
        raise OccurredInFuture(ctx.occurred_at, ctx.recorded_at)
    if ctx.occurred_at < EARLIEST_OCCURRED_AT:
        raise InvalidCommand(
            f"occurred_at {ctx.occurred_at.isoformat()} is before "
            f"{EARLIEST_OCCURRED_AT.date().isoformat()}: not a date a case can record"
        )


def _check_child(child: Child, ctx: CommandContext) -> None:
    born = child.birth_date
    if born is not None and not EARLIEST_BIRTH_DATE <= born <= ctx.recorded_at.date():
        raise InvalidCommand(  # the date itself is personal data: not repeated
            f"birth_date must lie between {EARLIEST_BIRTH_DATE.isoformat()} and today"
        )


def _due(task: FollowUp) -> Any:
    return task.due_at
