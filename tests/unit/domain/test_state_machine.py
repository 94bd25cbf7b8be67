"""Every action from every state of ``left_behind`` (the newest version): allowed ones move the case, the rest
are refused by the aggregate with the state and the allowed steps, and change nothing."""

from __future__ import annotations

import pytest

from domain.errors import IllegalStep
from domain.values import Action
from tests.fakes import FakeClock
from tests.unit.domain.journeys import PATH, aggregate_state, case_in, run_action
from workflows.registry import Registry
from workflows.services import CaseService

A = Action
GENERIC = {
    A.LOG_CONTACT, A.ADD_NOTE, A.ASSIGN_HEAD_TEACHER, A.CHANGE_RISK_LEVEL, A.COMPLETE_FOLLOW_UP,
    A.AMEND_DETAILS, A.RECORD_CONSENT, A.WITHDRAW_CONSENT,
}
#: Allowed in a closed case too: consent, and closing the erasure decision a withdrawal opened.
AFTER_CLOSING = {A.RECORD_CONSENT, A.WITHDRAW_CONSENT, A.COMPLETE_FOLLOW_UP}

#: The state machine as the source practice describes it: (state, action) -> next state.
#: Anything missing is refused. Written out by hand, not read from the definition.
EXPECTED: dict[tuple[str, Action], str] = {
    ("identified", A.RECORD_HOME_VISIT): "visited",
    ("identified", A.CLOSE_CASE): "closed",
    **{("identified", a): "identified" for a in GENERIC},
    ("visited", A.RECORD_HOME_VISIT): "visited",
    ("visited", A.PAIR_MENTOR): "paired",
    ("visited", A.CLOSE_CASE): "closed",
    **{("visited", a): "visited" for a in GENERIC},
    ("paired", A.RECORD_HOME_VISIT): "paired",
    ("paired", A.PAIR_MENTOR): "paired",  # hand-over to another mentor
    ("paired", A.RELEASE_MENTOR): "visited",
    ("paired", A.RECORD_COUNSELLING): "counselled",
    ("paired", A.CLOSE_CASE): "closed",
    **{("paired", a): "paired" for a in GENERIC},
    ("counselled", A.RECORD_HOME_VISIT): "counselled",
    ("counselled", A.PAIR_MENTOR): "counselled",
    ("counselled", A.RELEASE_MENTOR): "counselled",
    ("counselled", A.RECORD_COUNSELLING): "counselled",
    ("counselled", A.REVIEW_CASE): "reviewed",
    ("counselled", A.CLOSE_CASE): "closed",
    **{("counselled", a): "counselled" for a in GENERIC},
    ("reviewed", A.RECORD_HOME_VISIT): "visited",  # next term: a new cycle
    ("reviewed", A.PAIR_MENTOR): "reviewed",
    ("reviewed", A.RELEASE_MENTOR): "reviewed",
    ("reviewed", A.RECORD_COUNSELLING): "reviewed",
    ("reviewed", A.REVIEW_CASE): "reviewed",
    ("reviewed", A.CLOSE_CASE): "closed",
    **{("reviewed", a): "reviewed" for a in GENERIC},
    ("closed", A.REOPEN_CASE): "identified",
    **{("closed", a): "closed" for a in AFTER_CLOSING},
}

DEFINITION_STATES = Registry.load().latest("left_behind").definition.states
CELLS = [(state, action) for state in DEFINITION_STATES for action in Action]


def test_the_expected_table_covers_the_definitions_states() -> None:
    assert set(DEFINITION_STATES) == set(PATH)
    assert {state for state, _ in EXPECTED} == set(PATH)


def test_the_definition_allows_exactly_the_expected_steps(registry: Registry) -> None:
    workflow = registry.latest("left_behind")
    for state, action in CELLS:
        allowed = action in workflow.allowed_actions(state)
        assert allowed == ((state, action) in EXPECTED), (state, action)
        if allowed:
            assert workflow.next_state(state, action) == EXPECTED[state, action]


@pytest.mark.parametrize(
    ("state", "action"), [c for c in CELLS if c in EXPECTED], ids=lambda v: str(v)
)
def test_an_allowed_action_moves_the_case_to_the_expected_state(
    service: CaseService, clock: FakeClock, state: str, action: Action
) -> None:
    case_id = case_in(service, clock, state)
    if state == "closed" and action is A.COMPLETE_FOLLOW_UP:  # the only task a closed case has
        run_action(service, clock, case_id, A.WITHDRAW_CONSENT)
    before = service.get_case(case_id).version
    clock.advance(hours=1)
    result = run_action(service, clock, case_id, action)
    after = service.get_case(case_id)
    assert result.state == after.state == EXPECTED[state, action]
    assert result.version == after.version > before
    assert not result.replayed
    assert set(after.commands.values()) >= {after.version}


@pytest.mark.parametrize(
    ("state", "action"), [c for c in CELLS if c not in EXPECTED], ids=lambda v: str(v)
)
def test_a_refused_action_names_state_and_allowed_steps_and_changes_nothing(
    service: CaseService, clock: FakeClock, registry: Registry, state: str, action: Action
) -> None:
    case_id = case_in(service, clock, state)
    before = aggregate_state(service.get_case(case_id))
    position = service.position()
    clock.advance(hours=1)
    with pytest.raises(IllegalStep) as refused:
        run_action(service, clock, case_id, action)
    allowed = tuple(a.value for (s, a) in EXPECTED if s == state)
    error = refused.value
    assert error.state == state
    assert error.action == action.value
    assert set(error.allowed) == set(allowed)
    message = str(error)
    assert f"'{state}'" in message
    assert action.value in message
    assert all(a in message for a in allowed)
    assert aggregate_state(service.get_case(case_id)) == before
    assert service.position() == position
