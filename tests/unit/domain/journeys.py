"""Drive a case through the use cases to any state of ``left_behind`` v1, and run any action.

Shared by the domain and workflow tests: every state is reached the way a school would
reach it, never by building an aggregate by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.case import Case
from domain.values import (
    Action,
    Actor,
    ClosureReason,
    ContactChannel,
    ContactParty,
    ReviewOutcome,
    RiskLevel,
    Role,
)
from tests.conftest import COUNSELLOR, SUPERVISOR, TEACHER, identify
from tests.fakes import FakeClock
from workflows.commands import (
    AddNote,
    AssignHeadTeacher,
    ChangeRiskLevel,
    CloseCase,
    CompleteFollowUp,
    LogContact,
    PairMentor,
    RecordCounselling,
    RecordHomeVisit,
    ReleaseMentor,
    ReopenCase,
    ReviewCase,
)
from workflows.services import CaseService, CommandResult

MENTOR = "t-mentor"
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
}


def case_in(service: CaseService, clock: FakeClock, state: str, n: int = 1) -> UUID:
    """Identify the ``n``-th child and take the usual steps until the case is in ``state``."""
    case_id: UUID = identify(service, clock, n).case_id
    steps: list[Callable[[], CommandResult]] = [
        lambda: service.handle(
            RecordHomeVisit(case_id=case_id, occurred_at=clock(), guardian_met=True), TEACHER
        ),
        lambda: service.handle(
            PairMentor(case_id=case_id, occurred_at=clock(), teacher_id=MENTOR), SUPERVISOR
        ),
        lambda: service.handle(RecordCounselling(case_id=case_id, occurred_at=clock()), COUNSELLOR),
        lambda: service.handle(
            ReviewCase(case_id=case_id, occurred_at=clock(), outcome=ReviewOutcome.CONTINUE), SUPERVISOR
        ),
        lambda: service.handle(
            CloseCase(case_id=case_id, occurred_at=clock(), reason=ClosureReason.GRADUATED), SUPERVISOR
        ),
    ]
    for step in steps[: PATH.index(state)]:
        clock.advance(hours=1)
        step()
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
    at = at or clock()
    case = service.get_case(case_id)
    calls: dict[Action, Callable[[], CommandResult]] = {
        Action.RECORD_HOME_VISIT: lambda: service.handle(
            RecordHomeVisit(
                case_id=case_id, occurred_at=at, guardian_met=True, **opts
            ),
            actor,
        ),
        Action.PAIR_MENTOR: lambda: service.handle(
            PairMentor(
                case_id=case_id,
                occurred_at=at,
                teacher_id=OTHER_MENTOR if case.mentor_id == MENTOR else MENTOR,
                **opts,
            ),
            actor,
        ),
        Action.RELEASE_MENTOR: lambda: service.handle(
            ReleaseMentor(
                case_id=case_id, occurred_at=at, reason="teacher moved away", **opts
            ),
            actor,
        ),
        Action.RECORD_COUNSELLING: lambda: service.handle(
            RecordCounselling(
                case_id=case_id,
                occurred_at=at,
                summary="misses her parents",
                **opts,
            ),
            actor,
        ),
        Action.REVIEW_CASE: lambda: service.handle(
            ReviewCase(
                case_id=case_id, occurred_at=at, outcome=ReviewOutcome.CONTINUE, **opts
            ),
            actor,
        ),
        Action.CLOSE_CASE: lambda: service.handle(
            CloseCase(
                case_id=case_id,
                occurred_at=at,
                reason=ClosureReason.PARENTS_RETURNED,
                **opts,
            ),
            actor,
        ),
        Action.REOPEN_CASE: lambda: service.handle(
            ReopenCase(
                case_id=case_id, occurred_at=at, reason="parents left again", **opts
            ),
            actor,
        ),
        Action.LOG_CONTACT: lambda: service.handle(
            LogContact(
                case_id=case_id,
                occurred_at=at,
                party=ContactParty.GUARDIAN,
                channel=ContactChannel.PHONE,
                **opts,
            ),
            actor,
        ),
        Action.ADD_NOTE: lambda: service.handle(
            AddNote(
                case_id=case_id, occurred_at=at, text="did her homework on time", **opts
            ),
            actor,
        ),
        Action.ASSIGN_HEAD_TEACHER: lambda: service.handle(
            AssignHeadTeacher(
                case_id=case_id,
                occurred_at=at,
                teacher_id=OTHER_HEAD_TEACHER
                if case.head_teacher_id != OTHER_HEAD_TEACHER
                else TEACHER.user_id,
                **opts,
            ),
            actor,
        ),
        Action.CHANGE_RISK_LEVEL: lambda: service.handle(
            ChangeRiskLevel(
                case_id=case_id,
                occurred_at=at,
                level=RiskLevel.HIGH
                if case.risk_level is RiskLevel.NORMAL
                else RiskLevel.NORMAL,
                **opts,
            ),
            actor,
        ),
        Action.COMPLETE_FOLLOW_UP: lambda: service.handle(
            CompleteFollowUp(
                case_id=case_id,
                occurred_at=at,
                follow_up_id=_some_follow_up(case),
                **opts,
            ),
            actor,
        ),
    }
    return calls[action]()


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
