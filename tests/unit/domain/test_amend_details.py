"""Amending the family's details: a new event, history kept, a home visit for a new guardian."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.bootstrap import case_service
from adapters.driven.events.environment import memory_env
from adapters.settings import Settings
from domain.errors import IllegalStep, InvalidCommand
from domain.values import Parents, ParentsAway, WorkflowRef
from tests.conftest import TEACHER, identify
from tests.fakes import FakeClock
from tests.unit.domain.journeys import AUNT, GRANDMOTHER, aggregate_state, case_in, open_of_kind
from workflows.commands import AmendDetails
from workflows.definition import load_definition
from workflows.engine import Workflow
from workflows.registry import BUILTIN_DIR, Registry
from workflows.services import CaseService


def test_another_guardian_is_recorded_and_the_case_as_it_stood_keeps_the_first(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "visited")
    before = service.get_case(case_id).version
    clock.advance(days=2)
    result = service.handle(AmendDetails(case_id=case_id, guardian=AUNT), TEACHER)
    assert result.events[0] == "DetailsAmended"
    assert service.get_case(case_id).guardian == AUNT
    assert service.get_case(case_id, version=before).guardian == GRANDMOTHER
    amended = next(e for e in service.history(case_id) if type(e).__name__ == "DetailsAmended")
    assert (amended.guardian, amended.parents, amended.guardian_changed) == (AUNT, None, True)


def test_a_child_who_moves_to_another_guardian_gets_a_home_visit_within_14_days(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    assert open_of_kind(service.get_case(case_id), "home_visit") == []
    service.handle(AmendDetails(case_id=case_id, guardian=AUNT), TEACHER)
    (visit,) = open_of_kind(service.get_case(case_id), "home_visit")
    assert (visit.rule_id, visit.due_at) == ("new_guardian_home_visit", clock() + timedelta(days=14))
    assert visit.assignee_id == TEACHER.user_id


def test_a_new_phone_or_the_parents_moving_schedules_nothing(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    new_phone = GRANDMOTHER.model_copy(update={"phone": "13700000000"})
    mother_home = Parents(away=ParentsAway.FATHER, work_place="广东东莞")
    result = service.handle(
        AmendDetails(case_id=case_id, guardian=new_phone, parents=mother_home), TEACHER
    )
    assert result.events == ("DetailsAmended",)
    case = service.get_case(case_id)
    assert (case.guardian.phone, case.parents.away) == ("13700000000", ParentsAway.FATHER)
    assert open_of_kind(case, "home_visit") == []


def test_details_the_case_already_has_are_refused_and_change_nothing(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    before = aggregate_state(service.get_case(case_id))
    with pytest.raises(InvalidCommand, match="the details given are the ones it has"):
        service.handle(AmendDetails(case_id=case_id, guardian=GRANDMOTHER), TEACHER)
    with pytest.raises(InvalidCommand):
        service.handle(AmendDetails(case_id=case_id), TEACHER)
    assert aggregate_state(service.get_case(case_id)) == before


def test_a_closed_case_is_not_amended(service: CaseService, clock: FakeClock) -> None:
    case_id = case_in(service, clock, "closed")
    with pytest.raises(IllegalStep, match="amend_details is not allowed"):
        service.handle(AmendDetails(case_id=case_id, guardian=AUNT), TEACHER)


def test_a_case_that_pinned_version_1_keeps_version_1s_steps(clock: FakeClock) -> None:
    v1 = Workflow(load_definition(BUILTIN_DIR / "left_behind.v1.toml"))
    assert v1.ref == WorkflowRef(name="left_behind", version=1)
    env = memory_env()
    first = case_service(Settings(), env, registry=Registry([v1]), clock=clock)
    case_id = identify(first, clock).case_id
    # Every published version is loaded; the case still follows the one it pinned.
    first.registry = Registry.load()
    assert first.get_case(case_id).workflow == v1.ref
    with pytest.raises(IllegalStep, match="amend_details is not allowed"):
        first.handle(AmendDetails(case_id=case_id, guardian=AUNT), TEACHER)
    first.close()
