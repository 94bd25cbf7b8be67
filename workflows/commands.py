"""The commands: one typed request per step a user can take on a case.

Every interface — the HTTP API, the CLI, the scheduler, the web pages — builds one of
these and hands it to :meth:`workflows.services.CaseService.handle` with the acting user.
A command carries the step's own fields and what every step shares: when it happened
(``occurred_at``; None: now), its id (``command_id``; a retry with the same id records
nothing) and, on an existing case, the version the caller saw (``expected_version``).

A command's fields are checked when it is built (the same types the API documents); the
aggregate still checks everything against the case itself. ``run`` is the one place a
command meets its aggregate method.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BeforeValidator, Field, StrictBool, model_validator

from domain.base import Frozen
from domain.case import Case
from domain.policy import WorkflowPolicy
from domain.values import (
    Action,
    AssigneeRole,
    Child,
    ClosureReason,
    CommandContext,
    Consent,
    ContactChannel,
    ContactParty,
    ErasureReason,
    Guardian,
    Ident,
    Parents,
    ReviewOutcome,
    RiskLevel,
    ShortText,
    Text,
)
from workflows.registry import Registry
from workflows.text import check_text


def _iso_text(value: Any) -> Any:
    """Times are ISO 8601 text or datetimes: a number (seconds since 1970?) is refused, and
    so is text that is one (``"0.5"``: how a query string sends a number)."""
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        raise ValueError("a time is ISO 8601 text with a UTC offset, not a number")
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


#: When something happened, as a command states it, and any time a request gives.
StatedTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


class Command(Frozen):
    """What every command carries; its text fields are readable text (see ``check_text``)."""

    occurred_at: StatedTime | None = Field(
        default=None, description="When it happened, with a UTC offset. Default: now."
    )
    command_id: UUID | None = None

    @model_validator(mode="before")
    @classmethod
    def _readable_text(cls, data: Any) -> Any:
        check_text(data, "")
        return data


class IdentifyChild(Command):
    """Identify a left-behind child: opens the case and schedules its first follow-ups."""

    school_id: Ident
    student_no: Ident
    child: Child
    guardian: Guardian
    parents: Parents
    head_teacher_id: Ident
    risk_level: RiskLevel = RiskLevel.NORMAL
    workflow: Ident | None = Field(default=None, description="Default: the deployment's workflow.")
    consent: Consent | None = Field(
        default=None, description="The guardian's consent, if the form is back (else record it later).")

    def assignments(self) -> tuple[tuple[AssigneeRole, str], ...]:
        """Who this command names on the case, and as what."""
        return ((AssigneeRole.HEAD_TEACHER, self.head_teacher_id),)

    def open(self, policy: WorkflowPolicy, ctx: CommandContext, case_id: UUID, *,
             generation: int = 0) -> Case:
        """The new case this identification opens (not saved); ``generation``: 0 for a
        child's first case, the next one after an erased case."""
        return Case.identify(
            policy, ctx, case_id=case_id, school_id=self.school_id, student_no=self.student_no,
            child=self.child, guardian=self.guardian, parents=self.parents,
            head_teacher_id=self.head_teacher_id, risk_level=self.risk_level, consent=self.consent,
            generation=generation,
        )


class CaseCommand(Command):
    """A step on an existing case; ``action`` names it in the workflow's transitions."""

    action: ClassVar[Action]
    case_id: UUID
    expected_version: int | None = None

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        """Call the case's own command method with this command's fields."""
        raise NotImplementedError

    def run_in(self, case: Case, registry: Registry, ctx: CommandContext) -> None:
        """Run under the case's own workflow version (what ``handle`` calls)."""
        self.run(case, registry.get(case.workflow), ctx)

    def assignments(self) -> tuple[tuple[AssigneeRole, str], ...]:
        """Who this command names on the case, and as what (most steps: nobody)."""
        return ()


class RecordHomeVisit(CaseCommand):
    """Record a home visit (家访)."""

    action: ClassVar[Action] = Action.RECORD_HOME_VISIT

    guardian_met: StrictBool = Field(description='true or false (not "yes", not 1).')
    observations: Text | None = None

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.record_home_visit(policy, ctx, guardian_met=self.guardian_met, observations=self.observations)


class PairMentor(CaseCommand):
    """Pair the child with a mentor (结对帮扶), or hand over to another mentor."""

    action: ClassVar[Action] = Action.PAIR_MENTOR

    teacher_id: Ident

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.pair_mentor(policy, ctx, teacher_id=self.teacher_id)

    def assignments(self) -> tuple[tuple[AssigneeRole, str], ...]:
        return ((AssigneeRole.MENTOR, self.teacher_id),)


class ReleaseMentor(CaseCommand):
    """End the child's pairing with their mentor."""

    action: ClassVar[Action] = Action.RELEASE_MENTOR

    reason: ShortText = Field(description="Why the pairing ends.")

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.release_mentor(policy, ctx, reason=self.reason)


class RecordCounselling(CaseCommand):
    """Record a counselling session held by you (心理辅导), optionally reassessing risk."""

    action: ClassVar[Action] = Action.RECORD_COUNSELLING

    summary: Text | None = None
    risk_level: RiskLevel | None = None

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.record_counselling(policy, ctx, summary=self.summary, risk_level=self.risk_level)


class ReviewCase(CaseCommand):
    """Review the case: ``continue``, ``close`` or ``raise_risk``."""

    action: ClassVar[Action] = Action.REVIEW_CASE

    outcome: ReviewOutcome
    summary: Text | None = None

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.review_case(policy, ctx, outcome=self.outcome, summary=self.summary)


class LogContact(CaseCommand):
    """Log a contact with the guardian, a parent, or the child (a mentor's talk)."""

    action: ClassVar[Action] = Action.LOG_CONTACT

    party: ContactParty
    channel: ContactChannel = ContactChannel.PHONE
    summary: Text | None = None

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.log_contact(policy, ctx, party=self.party, channel=self.channel, summary=self.summary)


class AmendDetails(CaseCommand):
    """Amend the details: the child's class, another guardian or phone, where the parents
    are and work, their phone."""

    action: ClassVar[Action] = Action.AMEND_DETAILS

    guardian: Guardian | None = Field(default=None, description="The guardian now, in full.")
    parents: Parents | None = Field(default=None, description="The parents now, in full.")
    class_name: ShortText | None = Field(default=None, description="The child's class now (班级).")

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.amend_details(
            policy, ctx, guardian=self.guardian, parents=self.parents, class_name=self.class_name
        )


class RecordConsent(CaseCommand):
    """Record the guardian's consent: a signed form (its number) or verbal (a witness)."""

    action: ClassVar[Action] = Action.RECORD_CONSENT

    consent: Consent

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.record_consent(policy, ctx, consent=self.consent)


class WithdrawConsent(CaseCommand):
    """Record that the guardian withdrew consent; a supervisor then decides on erasure."""

    action: ClassVar[Action] = Action.WITHDRAW_CONSENT

    withdrawn_by: ShortText = Field(description="Who withdrew consent (personal data).")
    relation: ShortText = Field(description="How they are related to the child.")
    note: Text | None = None

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.withdraw_consent(
            policy, ctx, withdrawn_by=self.withdrawn_by, relation=self.relation, note=self.note,
        )


class AddNote(CaseCommand):
    """Add a note to the growth diary (成长日记)."""

    action: ClassVar[Action] = Action.ADD_NOTE

    text: Text

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.add_note(policy, ctx, text=self.text)


class CloseCase(CaseCommand):
    """Close the case (its mentor is released, open tasks cancelled)."""

    action: ClassVar[Action] = Action.CLOSE_CASE

    reason: ClosureReason
    note: Text | None = None

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.close_case(policy, ctx, reason=self.reason, note=self.note)


class ReopenCase(CaseCommand):
    """Reopen a closed case."""

    action: ClassVar[Action] = Action.REOPEN_CASE

    reason: ShortText

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.reopen_case(policy, ctx, reason=self.reason)


class AssignHeadTeacher(CaseCommand):
    """Give the child another head teacher (their open tasks follow)."""

    action: ClassVar[Action] = Action.ASSIGN_HEAD_TEACHER

    teacher_id: Ident

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.assign_head_teacher(policy, ctx, teacher_id=self.teacher_id)

    def assignments(self) -> tuple[tuple[AssigneeRole, str], ...]:
        return ((AssigneeRole.HEAD_TEACHER, self.teacher_id),)


class ChangeRiskLevel(CaseCommand):
    """Reassess the child's risk level (high risk shortens follow-up intervals)."""

    action: ClassVar[Action] = Action.CHANGE_RISK_LEVEL

    level: RiskLevel
    reason: ShortText | None = None

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.change_risk_level(policy, ctx, level=self.level, reason=self.reason)


class CompleteFollowUp(CaseCommand):
    """Mark an open follow-up done by hand."""

    action: ClassVar[Action] = Action.COMPLETE_FOLLOW_UP

    follow_up_id: UUID
    note: Text | None = None

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.complete_follow_up(policy, ctx, follow_up_id=self.follow_up_id, note=self.note)


class EscalateFollowUp(CaseCommand):
    """Escalate an overdue task to a rung of its case's ladder (the scheduler's step)."""

    follow_up_id: UUID
    level: int = Field(ge=1)

    @classmethod
    def of(cls, case_id: UUID, follow_up_id: UUID, level: int) -> EscalateFollowUp:
        """The escalation of one task to one level: its id is derived from both, so a
        repeated sweep escalates once."""
        return cls(
            case_id=case_id, follow_up_id=follow_up_id, level=level,
            command_id=uuid5(follow_up_id, f"escalate\x1f{level}"),
        )

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.escalate_follow_up(policy, ctx, follow_up_id=self.follow_up_id, level=self.level)


class HandOverCase(CaseCommand):
    """Hand what a leaving teacher holds on one case to successors (one case of a hand-over:
    ``workflows.hand_over``); only the successors of roles they hold on it are named."""

    leaving: Ident
    mentor: Ident | None = None
    head_teacher: Ident | None = None
    counselling_teacher: Ident | None = None

    def successors(self) -> dict[AssigneeRole, str]:
        """The successor named for each role."""
        named = {
            AssigneeRole.HEAD_TEACHER: self.head_teacher,
            AssigneeRole.MENTOR: self.mentor,
            AssigneeRole.COUNSELLING_TEACHER: self.counselling_teacher,
        }
        return {role: who for role, who in named.items() if who is not None}

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.hand_over(policy, ctx, leaving=self.leaving, successors=self.successors())

    def assignments(self) -> tuple[tuple[AssigneeRole, str], ...]:
        return tuple(self.successors().items())


class MoveUpClass(CaseCommand):
    """The child starts a school year in another class (one case of a school's roll-over:
    ``workflows.rollover``); the case moves to its workflow's newest version if it can."""

    school_year: int = Field(ge=2000, le=2100, description="The year the school year starts in.")
    class_name: ShortText

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.move_up(policy, ctx, school_year=self.school_year, class_name=self.class_name)

    def run_in(self, case: Case, registry: Registry, ctx: CommandContext) -> None:
        case.move_up(registry.get(case.workflow), ctx, school_year=self.school_year,
                     class_name=self.class_name, newest=registry.latest(case.workflow.name))


#: The command of each step a person can take, by its action.
STEP_COMMANDS: dict[Action, type[CaseCommand]] = {
    command.action: command
    for command in (
        RecordHomeVisit, PairMentor, ReleaseMentor, RecordCounselling, ReviewCase, LogContact,
        AmendDetails, AddNote, CloseCase, ReopenCase, AssignHeadTeacher, ChangeRiskLevel,
        CompleteFollowUp, RecordConsent, WithdrawConsent,
    )
}


class EraseCase(CaseCommand):
    """Erase the child's personal data (a supervisor of the school, or an administrator):
    the case key is destroyed, the skeleton stays for audit and figures (docs/privacy.md)."""

    reason: ErasureReason = Field(description="Why the data is erased")

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.erase(policy, ctx, reason=self.reason)
