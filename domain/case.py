"""The Case aggregate: one left-behind child's case file and its follow-ups.

Read it with its parts: what a case holds (``domain.case_record``), its events
(``domain.case_events``, ``domain.follow_up_events``), its commands on tasks
(``domain.case_follow_ups``) and on the
guardian's consent (``domain.case_consent``); the other steps a user takes are here.
"""

from __future__ import annotations

from typing import ClassVar, Self
from uuid import UUID

from domain import case_events, follow_up_events
from domain.base import Aggregate, AggregateSnapshot
from domain.case_consent import ConsentCommands, check_consent
from domain.case_record import CaseState, check_occurred_at
from domain.case_school_year import SchoolYearCommands
from domain.errors import AlreadyErased, InvalidCommand, NotPermitted
from domain.policy import WorkflowPolicy
from domain.values import (
    EARLIEST_BIRTH_DATE,
    Action,
    Child,
    ClosureReason,
    CommandContext,
    Consent,
    ContactChannel,
    ContactParty,
    ErasureReason,
    Guardian,
    Parents,
    ReviewOutcome,
    RiskLevel,
    Role,
    valid_id,
    valid_text,
)


class Case(ConsentCommands, SchoolYearCommands):
    """A child's case: its state machine refuses illegal steps and drives follow-ups.

    Command methods validate everything first and only then trigger events, so a
    refused command leaves the case untouched. Event ``apply`` methods only assign.
    Every event keeps the topic it has always been stored under (``TOPIC``).
    """

    TOPIC: ClassVar[str] = "domain.case:Case"

    # ----------------------------------------------------------------- events
    Event = case_events.CaseEvent  # type: ignore[assignment]  # the base of every case event

    class Created(case_events.CaseEvent, Aggregate.Created):
        """The created event every aggregate class has (a case is created by ``Identified``)."""

        TOPIC: ClassVar[str] = "domain.case:Case.Created"

    Identified = case_events.Identified
    HomeVisited = case_events.HomeVisited
    MentorPaired = case_events.MentorPaired
    MentorReleased = case_events.MentorReleased
    CounsellingHeld = case_events.CounsellingHeld
    Reviewed = case_events.Reviewed
    Closed = case_events.Closed
    Reopened = case_events.Reopened
    ContactLogged = case_events.ContactLogged
    DetailsAmended = case_events.DetailsAmended
    ConsentRecorded = case_events.ConsentRecorded
    ConsentWithdrawn = case_events.ConsentWithdrawn
    NoteAdded = case_events.NoteAdded
    HeadTeacherAssigned = case_events.HeadTeacherAssigned
    ClassMovedUp = case_events.ClassMovedUp
    WorkflowUpgraded = case_events.WorkflowUpgraded
    CounsellingTeacherAssigned = case_events.CounsellingTeacherAssigned
    RiskLevelChanged = case_events.RiskLevelChanged
    FollowUpScheduled = follow_up_events.FollowUpScheduled
    FollowUpCompleted = follow_up_events.FollowUpCompleted
    FollowUpCancelled = follow_up_events.FollowUpCancelled
    FollowUpReassigned = follow_up_events.FollowUpReassigned
    FollowUpEscalated = follow_up_events.FollowUpEscalated
    Erased = case_events.Erased

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
        consent: Consent | None = None,
        generation: int = 0,
    ) -> Self:
        """Open the case of a newly identified child (with the guardian's consent, if the
        form is already back)."""
        check_occurred_at(ctx)
        _check_child(child, ctx)
        check_consent(consent, ctx)
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
            generation=generation,
            child=child,
            guardian=guardian,
            parents=parents,
            head_teacher_id=head_teacher_id,
            risk_level=risk_level,
            state=policy.initial_state,
            consent=consent,
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
        class_name: str | None = None,
    ) -> None:
        """Record what changed about the child or the family; history keeps what was true
        before."""
        start, before = self._begin(policy, ctx, Action.AMEND_DETAILS)
        guardian = guardian if guardian != self.guardian else None
        parents = parents if parents != self.parents else None
        class_name = valid_text("class_name", class_name, short=True)
        class_name = class_name if class_name != self.child.class_name else None
        if guardian is None and parents is None and class_name is None:
            raise InvalidCommand(f"case {self.id}: the details given are the ones it has")
        moved = guardian is not None and (guardian.name, guardian.relation) != (
            self.guardian.name, self.guardian.relation
        )
        self._trigger(
            ctx, self.DetailsAmended, guardian=guardian, parents=parents, guardian_changed=moved,
            class_name=class_name,
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

    def erase(self, policy: WorkflowPolicy, ctx: CommandContext, *, reason: ErasureReason) -> None:
        """Record that the child's personal data is erased (the application then destroys
        the case key). Allowed in every state, to a supervisor, an administrator or the
        system (retention); the skeleton -- state, tasks, due dates -- does not change but
        for the one task an erasure decides: a supervisor's erasure decision (v3)."""
        self._check_command_new(ctx)
        if self.erased:
            raise AlreadyErased(self.id)
        if ctx.actor.role not in (Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM):
            raise NotPermitted(f"a {ctx.actor.role.value} may not erase a case")
        check_occurred_at(ctx)
        start, before = len(self.pending_events), self.state
        self._trigger(ctx, self.Erased, reason=reason)
        self._decide_follow_ups(policy, ctx, start, before)

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


def _check_child(child: Child, ctx: CommandContext) -> None:
    born = child.birth_date
    if born is not None and not EARLIEST_BIRTH_DATE <= born <= ctx.recorded_at.date():
        raise InvalidCommand(  # the date itself is personal data: not repeated
            f"birth_date must lie between {EARLIEST_BIRTH_DATE.isoformat()} and today"
        )


