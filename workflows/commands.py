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

    def assignments(self) -> tuple[tuple[AssigneeRole, str], ...]:
        """Who this command names on the case, and as what."""
        return ((AssigneeRole.HEAD_TEACHER, self.head_teacher_id),)


class CaseCommand(Command):
    """A step on an existing case; ``action`` names it in the workflow's transitions."""

    action: ClassVar[Action]
    case_id: UUID
    expected_version: int | None = None

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        """Call the case's own command method with this command's fields."""
        raise NotImplementedError

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
    """Amend the family's details: another guardian or phone, or where the parents are."""

    action: ClassVar[Action] = Action.AMEND_DETAILS

    guardian: Guardian | None = Field(default=None, description="The guardian now, in full.")
    parents: Parents | None = Field(default=None, description="The parents now, in full.")

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.amend_details(policy, ctx, guardian=self.guardian, parents=self.parents)


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


#: The command of each step a person can take, by its action.
STEP_COMMANDS: dict[Action, type[CaseCommand]] = {
    command.action: command
    for command in (
        RecordHomeVisit, PairMentor, ReleaseMentor, RecordCounselling, ReviewCase, LogContact,
        AmendDetails, AddNote, CloseCase, ReopenCase, AssignHeadTeacher, ChangeRiskLevel,
        CompleteFollowUp,
    )
}


class EraseCase(CaseCommand):
    """Erase the child's personal data (a supervisor of the school, or an administrator):
    the case key is destroyed, the skeleton stays for audit and figures (docs/privacy.md)."""

    reason: ErasureReason = Field(description="Why the data is erased")

    def run(self, case: Case, policy: WorkflowPolicy, ctx: CommandContext) -> None:
        case.erase(ctx, reason=self.reason)
