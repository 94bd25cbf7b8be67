"""A retried command (same command id) records nothing and answers with the first result."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import IllegalStep
from domain.values import Action, RiskLevel
from tests.conftest import identify
from tests.fakes import FakeClock
from tests.unit.domain.journeys import WHERE, aggregate_state, case_in, run_action
from workflows.services import CaseService


def test_every_action_has_an_idempotency_case() -> None:
    assert set(WHERE) == set(Action)


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_retrying_a_step_with_its_command_id_records_nothing_and_returns_the_first_version(
    service: CaseService, clock: FakeClock, action: Action
) -> None:
    case_id = case_in(service, clock, WHERE[action])
    command_id = uuid4()
    first = run_action(service, clock, case_id, action, command_id=command_id)
    after_first = aggregate_state(service.get_case(case_id))
    position = service.position()
    clock.advance(minutes=30)
    # The retry is built from the case as it is now, so its arguments may even differ.
    again = run_action(service, clock, case_id, action, command_id=command_id)
    assert again.replayed
    assert not first.replayed
    assert (again.case_id, again.version, again.state) == (first.case_id, first.version, first.state)
    assert again.events == ()
    assert service.position() == position
    assert aggregate_state(service.get_case(case_id)) == after_first


def test_a_retry_after_later_steps_returns_the_version_and_state_it_reached_then(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "identified")
    command_id = uuid4()
    first = run_action(service, clock, case_id, Action.RECORD_HOME_VISIT, command_id=command_id)
    run_action(service, clock, case_id, Action.PAIR_MENTOR)
    again = run_action(service, clock, case_id, Action.RECORD_HOME_VISIT, command_id=command_id)
    assert (again.version, again.state) == (first.version, "visited")
    assert service.get_case(case_id).state == "paired"


def test_retrying_an_identification_returns_the_case_instead_of_refusing_it(
    service: CaseService, clock: FakeClock
) -> None:
    command_id = uuid4()
    first = identify(service, clock, command_id=command_id)
    position = service.position()
    again = identify(service, clock, command_id=command_id, risk_level=RiskLevel.HIGH)
    assert again.replayed
    assert (again.case_id, again.version, again.state) == (first.case_id, first.version, "identified")
    assert service.position() == position
    assert service.get_case(first.case_id).risk_level is RiskLevel.NORMAL


def test_a_refused_command_can_be_retried_with_the_same_id_once_it_is_allowed(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "identified")
    command_id = uuid4()
    with pytest.raises(IllegalStep, match="not allowed"):
        run_action(service, clock, case_id, Action.PAIR_MENTOR, command_id=command_id)
    run_action(service, clock, case_id, Action.RECORD_HOME_VISIT)
    result = run_action(service, clock, case_id, Action.PAIR_MENTOR, command_id=command_id)
    assert not result.replayed
    assert result.state == "paired"
