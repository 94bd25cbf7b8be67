"""The aggregate cache hands out copies: a command on a copy never reaches the cached case."""

from __future__ import annotations

import copy

import pytest

from adapters.bootstrap import case_service
from adapters.driven.events.environment import memory_env
from adapters.settings import Settings
from domain.errors import MentorAtCapacity
from domain.values import ContactChannel, ContactParty, FollowUpStatus
from tests.conftest import SUPERVISOR
from tests.fakes import FakeClock
from tests.unit.domain.journeys import MENTOR, aggregate_state, case_in
from workflows.commands import LogContact, PairMentor
from workflows.registry import Registry
from workflows.services import CaseService


def test_a_copied_case_equals_the_original_and_mutating_it_leaves_the_original_alone(
    service: CaseService, clock: FakeClock
) -> None:
    case = service.get_case(case_in(service, clock, "paired"))
    original = copy.deepcopy(aggregate_state(case))
    clone = copy.deepcopy(case)
    assert clone is not case
    assert aggregate_state(clone) == aggregate_state(case)
    task = clone.open_follow_ups[0]
    clone.follow_ups[task.follow_up_id] = task.model_copy(update={"status": FollowUpStatus.DONE})
    clone.commands.clear()
    clone.rule_counts["home_visit"] = 99
    clone.state = "closed"
    assert aggregate_state(case) == original


def test_a_command_refused_half_way_leaves_the_cached_case_untouched(
    clock: FakeClock, registry: Registry
) -> None:
    # The cache keeps the very object each save wrote (no fast-forward): the riskiest setup.
    env = {**memory_env(), "AGGREGATE_CACHE_MAXSIZE": "10", "AGGREGATE_CACHE_FASTFORWARD": "n"}
    service = case_service(Settings(mentor_capacity=1), env, registry=registry, clock=clock)
    try:
        paired = case_in(service, clock, "paired")  # takes MENTOR's only place
        other = case_in(service, clock, "visited", n=2)
        service.handle(PairMentor(case_id=other, occurred_at=clock(), teacher_id="t-other"), SUPERVISOR)
        before = aggregate_state(service.get_case(other))
        # The case releases t-other and pairs MENTOR in memory; then MENTOR's aggregate refuses.
        with pytest.raises(MentorAtCapacity):
            service.handle(PairMentor(case_id=other, occurred_at=clock(), teacher_id=MENTOR), SUPERVISOR)
        assert aggregate_state(service.get_case(other)) == before
        assert service.get_case(paired).mentor_id == MENTOR
        service.handle(
            LogContact(
                case_id=other, occurred_at=clock(), party=ContactParty.CHILD, channel=ContactChannel.PHONE
            ),
            SUPERVISOR,
        )
        assert service.get_case(other).mentor_id == "t-other"
        assert service.get_mentor("t-other").children == [other]  # type: ignore[union-attr]
    finally:
        service.close()
