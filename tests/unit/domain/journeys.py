"""Drive a case through the use cases to any state of ``left_behind`` v1, and run any action.

Shared by the domain and workflow tests: every state is reached the way a school would
reach it, never by building an aggregate by hand.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.case import Case
from domain.values import (
    Action,
    Actor,
    ClosureReason,
    Consent,
    ConsentMethod,
    ContactChannel,
    ContactParty,
    Guardian,
    ReviewOutcome,
    RiskLevel,
    Role,
)
from tests.conftest import COUNSELLOR, SUPERVISOR, TEACHER, identify
from tests.fakes import FakeClock
from workflows.commands import (
    AddNote,
    AmendDetails,
    AssignHeadTeacher,
    CaseCommand,
    ChangeRiskLevel,
    CloseCase,
    CompleteFollowUp,
    LogContact,
    PairMentor,
    RecordConsent,
    RecordCounselling,
    RecordHomeVisit,
    ReleaseMentor,
    ReopenCase,
    ReviewCase,
    WithdrawConsent,
)
from workflows.services import CaseService, CommandResult

MENTOR = "t-mentor"
#: The guardian a child moves to, and back (``tests.conftest.identify`` starts with the latter).
AUNT = Guardian(name="张阿姨", relation="aunt", phone="13900000000")
GRANDMOTHER = Guardian(name="李奶奶", relation="grandmother", phone="13800000000")
#: Two ways the grandmother consents: a signed form, and by word before the head teacher.
SIGNED = Consent(given_by="李奶奶", relation="grandmother", method=ConsentMethod.SIGNED_FORM,
                 form_number="XJ-2026-0042", given_on=date(2026, 8, 28))
VERBAL = Consent(given_by="李奶奶", relation="grandmother", method=ConsentMethod.VERBAL,
                 witness="王老师", given_on=date(2026, 8, 28))
OTHER_MENTOR = "t-mentor-2"
OTHER_HEAD_TEACHER = "t-head-2"

#: The steps that lead from a new case to each state (each one step further).
PATH = ["identified", "visited", "paired", "counselled", "reviewed", "closed"]

#: A state in which each action is allowed.
WHERE = {
    Action.RECORD_HOME_VISIT: "identified",
    Action.PAIR_MENTOR: "visited",
    Action.RELEASE_MENTOR: "paired",
    Action.RECORD_COUNSELLING: "paired",
    Action.REVIEW_CASE: "counselled",
    Action.CLOSE_CASE: "visited",
    Action.REOPEN_CASE: "closed",
    Action.LOG_CONTACT: "identified",
    Action.ADD_NOTE: "identified",
    Action.ASSIGN_HEAD_TEACHER: "identified",
    Action.CHANGE_RISK_LEVEL: "identified",
    Action.COMPLETE_FOLLOW_UP: "identified",
    Action.AMEND_DETAILS: "identified",
    Action.RECORD_CONSENT: "identified",
    Action.WITHDRAW_CONSENT: "identified",
}


def case_in(service: CaseService, clock: FakeClock, state: str, n: int = 1) -> UUID:
    """Identify the ``n``-th child and take the usual steps until the case is in ``state``."""
    case_id: UUID = identify(service, clock, n).case_id
    steps: list[tuple[type[CaseCommand], dict[str, Any], Actor]] = [
        (RecordHomeVisit, {"guardian_met": True}, TEACHER),
        (PairMentor, {"teacher_id": MENTOR}, SUPERVISOR),
        (RecordCounselling, {}, COUNSELLOR),
        (ReviewCase, {"outcome": ReviewOutcome.CONTINUE}, SUPERVISOR),
        (CloseCase, {"reason": ClosureReason.GRADUATED}, SUPERVISOR),
    ]
    for command, fields, actor in steps[: PATH.index(state)]:
        clock.advance(hours=1)
        service.handle(command(case_id=case_id, occurred_at=clock(), **fields), actor)
    assert service.get_case(case_id).state == state
    return case_id


def run_action(
    service: CaseService,
    clock: FakeClock,
    case_id: UUID,
    action: Action,
    actor: Actor | None = None,
    at: datetime | None = None,
    **opts: Any,
) -> CommandResult:
    """Take ``action`` on the case with arguments a teacher would plausibly give.

    ``at`` is when the act happened (default: now); ``opts`` go to the command.
    """
    actor = actor or Actor(user_id="t-actor", role=Role.TEACHER)
    case = service.get_case(case_id)
    command, fields = _plausible(action, case)
    return service.handle(command(case_id=case_id, occurred_at=at or clock(), **fields, **opts), actor)


def _plausible(action: Action, case: Case) -> tuple[type[CaseCommand], dict[str, Any]]:
    """The command of ``action`` and fields a teacher would give on ``case``."""
    match action:
        case Action.RECORD_HOME_VISIT:
            return RecordHomeVisit, {"guardian_met": True}
        case Action.PAIR_MENTOR:
            return PairMentor, {"teacher_id": OTHER_MENTOR if case.mentor_id == MENTOR else MENTOR}
        case Action.RELEASE_MENTOR:
            return ReleaseMentor, {"reason": "teacher moved away"}
        case Action.RECORD_COUNSELLING:
            return RecordCounselling, {"summary": "misses her parents"}
        case Action.REVIEW_CASE:
            return ReviewCase, {"outcome": ReviewOutcome.CONTINUE}
        case Action.CLOSE_CASE:
            return CloseCase, {"reason": ClosureReason.PARENTS_RETURNED}
        case Action.REOPEN_CASE:
            return ReopenCase, {"reason": "parents left again"}
        case Action.LOG_CONTACT:
            return LogContact, {"party": ContactParty.GUARDIAN, "channel": ContactChannel.PHONE}
        case Action.ADD_NOTE:
            return AddNote, {"text": "did her homework on time"}
        case Action.ASSIGN_HEAD_TEACHER:
            other = OTHER_HEAD_TEACHER if case.head_teacher_id != OTHER_HEAD_TEACHER else TEACHER.user_id
            return AssignHeadTeacher, {"teacher_id": other}
        case Action.CHANGE_RISK_LEVEL:
            level = RiskLevel.HIGH if case.risk_level is RiskLevel.NORMAL else RiskLevel.NORMAL
            return ChangeRiskLevel, {"level": level}
        case Action.COMPLETE_FOLLOW_UP:
            return CompleteFollowUp, {"follow_up_id": _some_follow_up(case)}
        case Action.AMEND_DETAILS:
            other = AUNT if case.guardian != AUNT else GRANDMOTHER
            return AmendDetails, {"guardian": other}
        case Action.RECORD_CONSENT:
            signed = SIGNED if case.consent != SIGNED or case.consent_withdrawal else VERBAL
            return RecordConsent, {"consent": signed}
        case Action.WITHDRAW_CONSENT:
            return WithdrawConsent, {"withdrawn_by": "李奶奶", "relation": "grandmother"}
    raise AssertionError(action)


def _some_follow_up(case: Case) -> UUID:
    """The soonest open task, or (on a case with none) any task it ever had."""
    tasks = case.open_follow_ups or list(case.follow_ups.values())
    return tasks[0].follow_up_id


def aggregate_state(aggregate: Any) -> dict[str, Any]:
    """Everything an aggregate holds except events not yet saved: comparable with ``==``."""
    # The open-task index is derived (built on first use), not state.
    return {k: v for k, v in vars(aggregate).items() if k not in ("_pending_events", "_open")}


def open_of_kind(case: Case, kind: str) -> list[Any]:
    """The open follow-ups of one kind."""
    return [t for t in case.open_follow_ups if t.kind == kind]


def one_open(case: Case, kind: str) -> Any:
    """The single open follow-up of ``kind`` (fails the test if there is not exactly one)."""
    tasks = open_of_kind(case, kind)
    assert len(tasks) == 1, f"expected one open {kind}, got {tasks}"
    return tasks[0]
