"""The events of a case: named, past tense, each saying who acted, when and for which command.

They are the ``Case`` aggregate's own (``Case.HomeVisited`` is ``HomeVisited``): each
declares the topic it is stored under, ``domain.case:Case.<Name>`` (eventsourcing's
explicit topics), so history written before they had a module of their own reads the
same. A new event gets a ``TOPIC`` of that form; ``tests/unit/domain/test_event_topics.py``
fails on one without. ``apply`` methods only assign.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import AwareDatetime

from domain.base import Aggregate, Frozen
from domain.case_record import CaseRecord
from domain.personal import PERSONAL, erased
from domain.values import (
    Actor,
    Child,
    ClosureReason,
    Consent,
    ConsentWithdrawal,
    ContactChannel,
    ContactParty,
    ErasureReason,
    Guardian,
    Parents,
    ReviewOutcome,
    RiskLevel,
    WorkflowRef,
)


class CaseEvent(Aggregate.Event):
    """Every case event says who acted, when the act happened, for which command."""

    actor: Actor
    occurred_at: AwareDatetime
    command_id: UUID
    workflow: WorkflowRef

    def mutate(self, aggregate: Any) -> Any:
        case = super().mutate(aggregate)
        assert isinstance(case, CaseRecord)
        # Remember the command so a retry is recognised (last event wins: its version).
        case.commands[self.command_id] = self.originator_version
        return case


class Identified(CaseEvent, Aggregate.Created):
    """A child was identified as left behind and a case opened."""

    TOPIC: ClassVar[str] = "domain.case:Case.Identified"

    school_id: str
    student_no: Annotated[str, PERSONAL]
    #: 0 for a child's first case; the case after an erased one is the next generation.
    generation: int = 0
    child: Child
    guardian: Guardian
    parents: Parents
    head_teacher_id: str
    risk_level: RiskLevel
    state: str
    #: The guardian's consent, when the paper came back before identification (personal:
    #: see ``Consent``). Events stored before consent was recorded have none.
    consent: Consent | None = None

    def apply(self, case: CaseRecord) -> None:
        case.consent = self.consent
        case.consent_withdrawal = None
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
        case.school_year = None
        case.rolled_from = None
        case.generation = self.generation
        case.erased = False


class HomeVisited(CaseEvent):
    """A teacher visited the child's home (家访)."""

    TOPIC: ClassVar[str] = "domain.case:Case.HomeVisited"

    guardian_met: bool
    observations: Annotated[str | None, PERSONAL] = None
    state: str

    def apply(self, case: CaseRecord) -> None:
        case.state = self.state


class MentorPaired(CaseEvent):
    """A teacher became the child's mentor (结对帮扶)."""

    TOPIC: ClassVar[str] = "domain.case:Case.MentorPaired"

    mentor_id: str
    state: str

    def apply(self, case: CaseRecord) -> None:
        case.mentor_id = self.mentor_id
        case.state = self.state


class MentorReleased(CaseEvent):
    """The mentor stopped mentoring the child."""

    TOPIC: ClassVar[str] = "domain.case:Case.MentorReleased"

    mentor_id: str
    reason: Annotated[str, PERSONAL]
    state: str

    def apply(self, case: CaseRecord) -> None:
        case.mentor_id = None
        case.state = self.state


class CounsellingHeld(CaseEvent):
    """A counselling session took place (心理辅导)."""

    TOPIC: ClassVar[str] = "domain.case:Case.CounsellingHeld"

    counsellor_id: str
    summary: Annotated[str | None, PERSONAL] = None
    state: str

    def apply(self, case: CaseRecord) -> None:
        case.counselling_teacher_id = self.counsellor_id
        case.state = self.state


class Reviewed(CaseEvent):
    """The case was reviewed; the outcome says how it goes on."""

    TOPIC: ClassVar[str] = "domain.case:Case.Reviewed"

    outcome: ReviewOutcome
    summary: Annotated[str | None, PERSONAL] = None
    state: str

    def apply(self, case: CaseRecord) -> None:
        case.state = self.state


class Closed(CaseEvent):
    """The case was closed."""

    TOPIC: ClassVar[str] = "domain.case:Case.Closed"

    reason: ClosureReason
    note: Annotated[str | None, PERSONAL] = None
    state: str

    def apply(self, case: CaseRecord) -> None:
        case.state = self.state
        case.closed_at = self.occurred_at


class Reopened(CaseEvent):
    """A closed case was reopened."""

    TOPIC: ClassVar[str] = "domain.case:Case.Reopened"

    reason: Annotated[str, PERSONAL]
    state: str

    def apply(self, case: CaseRecord) -> None:
        case.state = self.state
        case.closed_at = None


class ContactLogged(CaseEvent):
    """A teacher was in contact with the guardian, a parent, or the child."""

    TOPIC: ClassVar[str] = "domain.case:Case.ContactLogged"

    party: ContactParty
    channel: ContactChannel
    summary: Annotated[str | None, PERSONAL] = None


class DetailsAmended(CaseEvent):
    """The child's or the family's details changed: the child's class, another guardian or
    their phone, where the parents are and work, their phone. ``guardian_changed``: the
    child now lives with another person. Each field left None kept what it was (events
    written before ``class_name`` existed read with None)."""

    TOPIC: ClassVar[str] = "domain.case:Case.DetailsAmended"

    guardian: Guardian | None = None
    parents: Parents | None = None
    guardian_changed: bool = False
    class_name: str | None = None

    def apply(self, case: CaseRecord) -> None:
        if self.guardian is not None:
            case.guardian = self.guardian
        if self.parents is not None:
            case.parents = self.parents
        if self.class_name is not None:
            case.child = case.child.model_copy(update={"class_name": self.class_name})


class ClassMovedUp(CaseEvent):
    """A new school year began (the roll-over): the child moved up from ``from_class`` to
    ``class_name``. ``school_year`` is the year it starts in (2027: the year 2027–2028)."""

    TOPIC: ClassVar[str] = "domain.case:Case.ClassMovedUp"

    school_year: int
    from_class: str | None
    class_name: str

    def apply(self, case: CaseRecord) -> None:
        case.child = case.child.model_copy(update={"class_name": self.class_name})
        case.school_year = self.school_year
        case.rolled_from = self.from_class


class WorkflowUpgraded(CaseEvent):
    """The case follows a newer version of its workflow from now on (at a new school year)."""

    TOPIC: ClassVar[str] = "domain.case:Case.WorkflowUpgraded"

    to_workflow: WorkflowRef

    def apply(self, case: CaseRecord) -> None:
        case.workflow = self.to_workflow


class ConsentRecorded(CaseEvent):
    """The guardian's consent was recorded (for a case identified before the form came back,
    or consent given again after a withdrawal). ``consent`` is personal data."""

    TOPIC: ClassVar[str] = "domain.case:Case.ConsentRecorded"

    consent: Consent

    def apply(self, case: CaseRecord) -> None:
        case.consent = self.consent
        case.consent_withdrawal = None


class ConsentWithdrawn(CaseEvent):
    """The guardian withdrew consent; the workflow opens a supervisor's erasure decision."""

    TOPIC: ClassVar[str] = "domain.case:Case.ConsentWithdrawn"

    withdrawn_by: Annotated[str, PERSONAL]
    relation: Annotated[str, PERSONAL]
    note: Annotated[str | None, PERSONAL] = None  # free text

    def apply(self, case: CaseRecord) -> None:
        case.consent_withdrawal = ConsentWithdrawal(
            withdrawn_by=self.withdrawn_by, relation=self.relation, withdrawn_at=self.occurred_at,
            note=self.note,
        )


class NoteAdded(CaseEvent):
    """A dated note in the child's growth diary (成长日记)."""

    TOPIC: ClassVar[str] = "domain.case:Case.NoteAdded"

    text: Annotated[str, PERSONAL]


class HeadTeacherAssigned(CaseEvent):
    """Another head teacher (班主任) took over the child."""

    TOPIC: ClassVar[str] = "domain.case:Case.HeadTeacherAssigned"

    teacher_id: str

    def apply(self, case: CaseRecord) -> None:
        case.head_teacher_id = self.teacher_id


class CounsellingTeacherAssigned(CaseEvent):
    """Another counselling teacher (心理辅导老师) took over the child (a hand-over); their
    open tasks follow."""

    TOPIC: ClassVar[str] = "domain.case:Case.CounsellingTeacherAssigned"

    teacher_id: str

    def apply(self, case: CaseRecord) -> None:
        case.counselling_teacher_id = self.teacher_id


class RiskLevelChanged(CaseEvent):
    """The child's assessed risk changed."""

    TOPIC: ClassVar[str] = "domain.case:Case.RiskLevelChanged"

    level: RiskLevel
    reason: Annotated[str | None, PERSONAL] = None

    def apply(self, case: CaseRecord) -> None:
        case.risk_level = self.level


class Erased(CaseEvent):
    """The child's personal data was erased (its case key destroyed): the case's skeleton
    (state, tasks, times) stays, its personal fields read as erased from now on, in every
    event before this one too. Holds no personal data itself."""

    TOPIC: ClassVar[str] = "domain.case:Case.Erased"

    reason: ErasureReason

    def apply(self, case: CaseRecord) -> None:
        case.student_no = erased(_StudentNo(student_no=case.student_no)).student_no
        case.child = erased(case.child)
        case.guardian = erased(case.guardian)
        case.parents = erased(case.parents)
        case.erased = True


class _StudentNo(Frozen):
    student_no: Annotated[str, PERSONAL]
