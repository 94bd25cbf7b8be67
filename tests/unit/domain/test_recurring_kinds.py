"""A recurring rule carries on its kind's chain, whichever rule of that kind opened the last task.

``left_behind`` v1 has two counselling rules: a one-off session after pairing and, for a
high-risk child, one every 14 days. Raising the risk while the one-off task is open keeps
that task; once it is done the high-risk pace must take over, whether the session was
recorded as a step or the task was marked done by hand.
"""

from __future__ import annotations

from datetime import timedelta

from domain.values import FollowUpStatus, RiskLevel
from tests.conftest import COUNSELLOR, SUPERVISOR
from tests.fakes import FakeClock
from tests.unit.domain.journeys import case_in, one_open, open_of_kind
from workflows.commands import ChangeRiskLevel, CompleteFollowUp, RecordCounselling
from workflows.services import CaseService

DAY = timedelta(days=1)


def test_a_high_risk_childs_counselling_continues_after_a_task_marked_done_by_hand(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    service.handle(ChangeRiskLevel(case_id=case_id, occurred_at=clock(), level=RiskLevel.HIGH), SUPERVISOR)
    first = one_open(service.get_case(case_id), "counselling")
    assert first.rule_id == "counselling"  # opened before the risk was raised, and kept

    at = clock.advance(days=3)
    service.handle(
        CompleteFollowUp(
            case_id=case_id,
            occurred_at=at,
            follow_up_id=first.follow_up_id,
            note="held during the village visit",
        ),
        COUNSELLOR,
    )

    case = service.get_case(case_id)
    assert case.state == "paired"
    assert case.follow_ups[first.follow_up_id].status is FollowUpStatus.DONE
    following = one_open(case, "counselling")
    assert (following.rule_id, following.sequence) == ("high_risk_counselling", 1)
    assert following.scheduled_at == at  # no gap: opened by the command that closed the first
    assert following.due_at == at + 14 * DAY  # the 14 days are not halved


def test_a_high_risk_session_recorded_as_a_step_still_starts_the_chain_once(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    service.handle(ChangeRiskLevel(case_id=case_id, occurred_at=clock(), level=RiskLevel.HIGH), SUPERVISOR)
    at = clock.advance(days=3)
    result = service.handle(RecordCounselling(case_id=case_id, occurred_at=at), COUNSELLOR)
    scheduled = [t for t in result.scheduled if t.kind == "counselling"]
    assert [(t.rule_id, t.due_at) for t in scheduled] == [("high_risk_counselling", at + 14 * DAY)]


def test_a_normal_risk_childs_one_off_counselling_done_by_hand_is_not_followed_by_another(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    task = one_open(service.get_case(case_id), "counselling")
    service.handle(
        CompleteFollowUp(case_id=case_id, occurred_at=clock(), follow_up_id=task.follow_up_id), COUNSELLOR
    )
    assert open_of_kind(service.get_case(case_id), "counselling") == []
