"""A mentor takes at most N children (the source practice: 2-3 per teacher)."""

from __future__ import annotations

import pytest

from adapters.bootstrap import case_service
from adapters.driven.events.environment import memory_env
from adapters.settings import Settings
from domain.errors import MentorAtCapacity
from domain.values import ClosureReason
from tests.conftest import SUPERVISOR
from tests.fakes import FakeClock
from tests.unit.domain.journeys import MENTOR, OTHER_MENTOR, aggregate_state, case_in
from workflows.commands import CloseCase, PairMentor, ReleaseMentor
from workflows.registry import Registry
from workflows.services import CaseService


def test_a_fourth_pairing_is_refused_naming_the_mentor_and_changes_nothing(
    service: CaseService, clock: FakeClock
) -> None:
    cases = [case_in(service, clock, "visited", n) for n in range(1, 5)]
    for case_id in cases[:3]:
        service.handle(PairMentor(case_id=case_id, occurred_at=clock(), teacher_id="t-busy"), SUPERVISOR)
    before = aggregate_state(service.get_case(cases[3]))
    position = service.position()
    with pytest.raises(MentorAtCapacity) as refused:
        service.handle(PairMentor(case_id=cases[3], occurred_at=clock(), teacher_id="t-busy"), SUPERVISOR)
    assert (refused.value.teacher_id, refused.value.capacity) == ("t-busy", 3)
    assert "t-busy" in str(refused.value)
    assert aggregate_state(service.get_case(cases[3])) == before
    assert service.position() == position
    assert service.get_mentor("t-busy").children == cases[:3]  # type: ignore[union-attr]


def test_releasing_a_child_frees_a_place(service: CaseService, clock: FakeClock) -> None:
    cases = [case_in(service, clock, "visited", n) for n in range(1, 5)]
    for case_id in cases[:3]:
        service.handle(PairMentor(case_id=case_id, occurred_at=clock(), teacher_id=MENTOR), SUPERVISOR)
    service.handle(ReleaseMentor(case_id=cases[0], occurred_at=clock(), reason="moved class"), SUPERVISOR)
    service.handle(PairMentor(case_id=cases[3], occurred_at=clock(), teacher_id=MENTOR), SUPERVISOR)
    assert service.get_mentor(MENTOR).children == cases[1:]  # type: ignore[union-attr]


def test_a_hand_over_to_a_full_mentor_is_refused_and_the_child_stays_with_the_first(
    service: CaseService, clock: FakeClock
) -> None:
    cases = [case_in(service, clock, "visited", n) for n in range(1, 5)]
    for case_id in cases[:3]:
        service.handle(PairMentor(case_id=case_id, occurred_at=clock(), teacher_id=OTHER_MENTOR), SUPERVISOR)
    service.handle(PairMentor(case_id=cases[3], occurred_at=clock(), teacher_id=MENTOR), SUPERVISOR)
    with pytest.raises(MentorAtCapacity):
        service.handle(PairMentor(case_id=cases[3], occurred_at=clock(), teacher_id=OTHER_MENTOR), SUPERVISOR)
    assert service.get_case(cases[3]).mentor_id == MENTOR
    assert service.get_mentor(MENTOR).children == [cases[3]]  # type: ignore[union-attr]
    assert len(service.get_mentor(OTHER_MENTOR).children) == 3  # type: ignore[union-attr]


def test_the_capacity_is_configurable(clock: FakeClock, registry: Registry) -> None:
    service = case_service(Settings(mentor_capacity=2), memory_env(), registry=registry, clock=clock)
    try:
        cases = [case_in(service, clock, "visited", n) for n in range(1, 4)]
        for case_id in cases[:2]:
            service.handle(PairMentor(case_id=case_id, occurred_at=clock(), teacher_id=MENTOR), SUPERVISOR)
        with pytest.raises(MentorAtCapacity, match="already has 2 children"):
            service.handle(PairMentor(case_id=cases[2], occurred_at=clock(), teacher_id=MENTOR), SUPERVISOR)
    finally:
        service.close()


def test_closing_a_case_gives_the_mentor_a_free_place(service: CaseService, clock: FakeClock) -> None:
    cases = [case_in(service, clock, "paired", n) for n in range(1, 4)]  # all with MENTOR
    fourth = case_in(service, clock, "visited", 4)
    service.handle(
        CloseCase(case_id=cases[1], occurred_at=clock(), reason=ClosureReason.LEFT_SCHOOL), SUPERVISOR
    )
    service.handle(PairMentor(case_id=fourth, occurred_at=clock(), teacher_id=MENTOR), SUPERVISOR)
    assert service.get_mentor(MENTOR).children == [cases[0], cases[2], fourth]  # type: ignore[union-attr]
