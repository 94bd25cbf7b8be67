"""Amending the child's class and the contact card: recorded with who and when, history kept."""

from __future__ import annotations

import pytest

from domain.errors import InvalidCommand
from domain.values import Parents, ParentsAway
from tests.conftest import TEACHER, identify
from tests.fakes import FakeClock
from workflows.commands import AmendDetails
from workflows.services import CaseService


def test_a_new_class_is_recorded_with_who_and_when_and_the_case_as_it_stood_keeps_the_old_one(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    before = clock()
    clock.advance(days=30)
    result = service.handle(AmendDetails(case_id=case_id, class_name="四年级2班"), TEACHER)
    assert result.events == ("DetailsAmended",)
    assert service.get_case(case_id).child.class_name == "四年级2班"
    assert service.case_as_of(case_id, before).child.class_name == "三年级2班"
    assert service.case_as_of(case_id, clock()).child.class_name == "四年级2班"
    amended = service.history(case_id)[-1]
    assert (amended.class_name, amended.actor, amended.occurred_at) == ("四年级2班", TEACHER, clock())
    assert amended.guardian is None
    assert amended.parents is None


def test_the_parents_work_place_and_phone_are_amended_and_the_name_stays(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    clock.advance(days=1)
    parents = Parents(away=ParentsAway.MOTHER, work_place="浙江义乌", phone="13600000000")
    service.handle(AmendDetails(case_id=case_id, parents=parents), TEACHER)
    case = service.get_case(case_id)
    assert case.parents == parents
    assert case.child.name == "王小明"
    assert case.child.class_name == "三年级2班"


def test_the_class_it_already_has_is_refused_and_nothing_is_recorded(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    version = service.get_case(case_id).version
    with pytest.raises(InvalidCommand, match="the details given are the ones it has"):
        service.handle(AmendDetails(case_id=case_id, class_name="三年级2班"), TEACHER)
    assert service.get_case(case_id).version == version


def test_an_event_written_before_classes_could_be_amended_still_reads() -> None:
    from domain.case import Case

    old = Case.DetailsAmended.model_validate({
        "originator_id": "5b3c2a54-2f0e-4c1a-9d55-7c1f0c3f6a01", "originator_version": 3,
        "timestamp": "2026-09-01T01:00:00+00:00",
        "actor": {"user_id": "t1", "role": "teacher"}, "occurred_at": "2026-09-01T01:00:00+00:00",
        "command_id": "5b3c2a54-2f0e-4c1a-9d55-7c1f0c3f6a02",
        "workflow": {"name": "left_behind", "version": 2},
        "guardian": None, "parents": {"away": "both"}, "guardian_changed": False,
    })
    assert old.class_name is None
