"""Escalating overdue tasks (the scheduler's command): the case re-checks and records once."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from domain.case import Case
from domain.errors import FollowUpNotOpen, InvalidCommand
from domain.ids import follow_up_id_for
from domain.values import AssigneeRole, ClosureReason, FollowUp, Role
from tests.conftest import SUPERVISOR, TEACHER, identify
from tests.fakes import FakeClock
from tests.unit.domain.journeys import one_open
from workflows.commands import CloseCase, EscalateFollowUp, RecordHomeVisit
from workflows.services import SYSTEM_ACTOR, CaseService


def overdue_visit(service: CaseService, clock: FakeClock) -> tuple[UUID, FollowUp]:
    """A new case and its home-visit task (due in 14 days)."""
    case_id: UUID = identify(service, clock).case_id
    task: FollowUp = one_open(service.get_case(case_id), "home_visit")
    return case_id, task


def test_a_task_is_not_escalated_before_it_is_3_days_overdue(
    service: CaseService, clock: FakeClock
) -> None:
    case_id, task = overdue_visit(service, clock)
    version = service.get_case(case_id).version
    clock.set(task.due_at + timedelta(days=3) - timedelta(seconds=1))
    result = service.handle(EscalateFollowUp.of(case_id, task.follow_up_id, 1), SYSTEM_ACTOR)
    assert result.events == ()
    assert result.version == version
    assert service.get_case(case_id).follow_ups[task.follow_up_id].escalation_level == 0


def test_a_task_3_days_overdue_is_escalated_once_to_the_supervisor(
    service: CaseService, clock: FakeClock
) -> None:
    case_id, task = overdue_visit(service, clock)
    clock.set(task.due_at + timedelta(days=3, hours=5))
    first = service.handle(EscalateFollowUp.of(case_id, task.follow_up_id, 1), SYSTEM_ACTOR)
    assert first.events == ("FollowUpEscalated",)
    event = service.history(case_id)[-1]
    assert isinstance(event, Case.FollowUpEscalated)
    assert (event.level, event.to_role, event.days_overdue) == (1, AssigneeRole.SUPERVISOR, 3)
    assert event.actor == SYSTEM_ACTOR
    assert event.actor.role is Role.SYSTEM
    assert event.occurred_at == clock()
    position = service.position()
    clock.advance(hours=1)
    again = service.handle(EscalateFollowUp.of(case_id, task.follow_up_id, 1), SYSTEM_ACTOR)
    assert again.replayed
    assert again.version == first.version
    assert service.position() == position


def test_the_second_level_waits_for_14_days_and_goes_to_the_district(
    service: CaseService, clock: FakeClock
) -> None:
    case_id, task = overdue_visit(service, clock)
    clock.set(task.due_at + timedelta(days=5))
    service.handle(EscalateFollowUp.of(case_id, task.follow_up_id, 1), SYSTEM_ACTOR)
    assert service.handle(EscalateFollowUp.of(case_id, task.follow_up_id, 2), SYSTEM_ACTOR).events == ()
    clock.set(task.due_at + timedelta(days=14))
    result = service.handle(EscalateFollowUp.of(case_id, task.follow_up_id, 2), SYSTEM_ACTOR)
    assert result.events == ("FollowUpEscalated",)
    event = service.history(case_id)[-1]
    assert isinstance(event, Case.FollowUpEscalated)
    assert (event.level, event.to_role, event.days_overdue) == (2, AssigneeRole.DISTRICT, 14)
    assert service.get_case(case_id).follow_ups[task.follow_up_id].escalation_level == 2


def test_a_lower_level_after_a_higher_one_records_nothing(
    service: CaseService, clock: FakeClock
) -> None:
    case_id, task = overdue_visit(service, clock)
    clock.set(task.due_at + timedelta(days=20))
    service.handle(EscalateFollowUp.of(case_id, task.follow_up_id, 2), SYSTEM_ACTOR)
    version = service.get_case(case_id).version
    assert service.handle(EscalateFollowUp.of(case_id, task.follow_up_id, 1), SYSTEM_ACTOR).events == ()
    assert service.get_case(case_id).version == version


def test_a_task_done_meanwhile_is_not_escalated(service: CaseService, clock: FakeClock) -> None:
    case_id, task = overdue_visit(service, clock)
    clock.set(task.due_at + timedelta(days=4))
    service.handle(RecordHomeVisit(case_id=case_id, occurred_at=clock(), guardian_met=True), TEACHER)
    version = service.get_case(case_id).version
    result = service.handle(EscalateFollowUp.of(case_id, task.follow_up_id, 1), SYSTEM_ACTOR)
    assert (result.events, result.version) == ((), version)


def test_escalating_a_task_of_a_closed_case_is_not_refused_and_records_nothing(
    service: CaseService, clock: FakeClock
) -> None:
    case_id, task = overdue_visit(service, clock)
    service.handle(
        CloseCase(case_id=case_id, occurred_at=clock(), reason=ClosureReason.GRADUATED), SUPERVISOR
    )
    clock.set(task.due_at + timedelta(days=30))
    version = service.get_case(case_id).version
    result = service.handle(EscalateFollowUp.of(case_id, task.follow_up_id, 2), SYSTEM_ACTOR)
    assert (result.state, result.events, result.version) == ("closed", (), version)


def test_escalating_an_unknown_task_or_level_is_refused(
    service: CaseService, clock: FakeClock
) -> None:
    case_id, task = overdue_visit(service, clock)
    clock.set(task.due_at + timedelta(days=30))
    with pytest.raises(FollowUpNotOpen, match="does not exist"):
        service.handle(EscalateFollowUp.of(case_id, follow_up_id_for(case_id, "nope", 1), 1), SYSTEM_ACTOR)
    with pytest.raises(InvalidCommand, match="no escalation level 3"):
        service.handle(EscalateFollowUp.of(case_id, task.follow_up_id, 3), SYSTEM_ACTOR)
    assert service.get_case(case_id).version == 4
