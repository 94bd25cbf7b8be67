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
        lambda: service.record_home_visit(case_id, TEACHER, occurred_at=clock(), guardian_met=True),
        lambda: service.pair_mentor(case_id, SUPERVISOR, occurred_at=clock(), teacher_id=MENTOR),
        lambda: service.record_counselling(case_id, COUNSELLOR, occurred_at=clock()),
        lambda: service.review_case(
            case_id, SUPERVISOR, occurred_at=clock(), outcome=ReviewOutcome.CONTINUE
        ),
        lambda: service.close_case(
            case_id, SUPERVISOR, occurred_at=clock(), reason=ClosureReason.GRADUATED
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

    ``at`` is when the act happened (default: now); ``opts`` go to the use case.
    """
    actor = actor or Actor(user_id="t-actor", role=Role.TEACHER)
    at = at or clock()
    case = service.get_case(case_id)
    calls: dict[Action, Callable[[], CommandResult]] = {
        Action.RECORD_HOME_VISIT: lambda: service.record_home_visit(
            case_id, actor, occurred_at=at, guardian_met=True, **opts),
        Action.PAIR_MENTOR: lambda: service.pair_mentor(
            case_id, actor, occurred_at=at,
            teacher_id=OTHER_MENTOR if case.mentor_id == MENTOR else MENTOR, **opts),
        Action.RELEASE_MENTOR: lambda: service.release_mentor(
            case_id, actor, occurred_at=at, reason="teacher moved away", **opts),
        Action.RECORD_COUNSELLING: lambda: service.record_counselling(
            case_id, actor, occurred_at=at, summary="misses her parents", **opts),
        Action.REVIEW_CASE: lambda: service.review_case(
            case_id, actor, occurred_at=at, outcome=ReviewOutcome.CONTINUE, **opts),
        Action.CLOSE_CASE: lambda: service.close_case(
            case_id, actor, occurred_at=at, reason=ClosureReason.PARENTS_RETURNED, **opts),
        Action.REOPEN_CASE: lambda: service.reopen_case(
            case_id, actor, occurred_at=at, reason="parents left again", **opts),
        Action.LOG_CONTACT: lambda: service.log_contact(
            case_id, actor, occurred_at=at, party=ContactParty.GUARDIAN,
            channel=ContactChannel.PHONE, **opts),
        Action.ADD_NOTE: lambda: service.add_note(
            case_id, actor, occurred_at=at, text="did her homework on time", **opts),
        Action.ASSIGN_HEAD_TEACHER: lambda: service.assign_head_teacher(
            case_id, actor, occurred_at=at,
            teacher_id=OTHER_HEAD_TEACHER if case.head_teacher_id != OTHER_HEAD_TEACHER
            else TEACHER.user_id, **opts),
        Action.CHANGE_RISK_LEVEL: lambda: service.change_risk_level(
            case_id, actor, occurred_at=at,
            level=RiskLevel.HIGH if case.risk_level is RiskLevel.NORMAL else RiskLevel.NORMAL,
            **opts),
        Action.COMPLETE_FOLLOW_UP: lambda: service.complete_follow_up(
            case_id, actor, occurred_at=at, follow_up_id=_some_follow_up(case), **opts),
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
