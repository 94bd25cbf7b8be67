"""The case's core promises: one case per child, retries add nothing, illegal steps refused."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.errors import CaseAlreadyExists, IllegalStep, OccurredInFuture
from tests.conftest import TEACHER, identify
from tests.fakes import FakeClock
from workflows.commands import RecordCounselling, RecordHomeVisit
from workflows.services import CaseService


def test_identifying_the_same_child_twice_is_refused_and_names_the_case(
    service: CaseService, clock: FakeClock
) -> None:
    first = identify(service, clock)
    with pytest.raises(CaseAlreadyExists) as refused:
        identify(service, clock)
    assert str(first.case_id) in str(refused.value)
    assert service.get_case(first.case_id).version == first.version


def test_a_retried_command_adds_no_event_and_returns_the_first_result(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    command_id = uuid4()
    first = service.handle(
        RecordHomeVisit(case_id=case_id, occurred_at=clock(), guardian_met=True, command_id=command_id),
        TEACHER,
    )
    clock.advance(hours=1)
    again = service.handle(
        RecordHomeVisit(case_id=case_id, occurred_at=clock(), guardian_met=False, command_id=command_id),
        TEACHER,
    )
    assert again.replayed
    assert not first.replayed
    assert again.version == first.version == service.get_case(case_id).version
    assert again.state == "visited"


def test_refuses_counselling_before_pairing_naming_state_and_allowed_steps(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    with pytest.raises(IllegalStep) as refused:
        service.handle(RecordCounselling(case_id=case_id, occurred_at=clock()), TEACHER)
    assert refused.value.state == "identified"
    assert "record_home_visit" in refused.value.allowed
    assert "record_counselling" not in refused.value.allowed
    assert "'identified'" in str(refused.value)
    assert service.get_case(case_id).version == 4


def test_refuses_an_act_stated_to_happen_in_the_future(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    with pytest.raises(OccurredInFuture):
        service.handle(
            RecordHomeVisit(case_id=case_id, occurred_at=clock() + timedelta(hours=1), guardian_met=True),
            TEACHER,
        )
    # A few minutes of clock skew between a teacher's phone and the server is fine.
    service.handle(
        RecordHomeVisit(case_id=case_id, occurred_at=clock() + timedelta(minutes=4), guardian_met=True),
        TEACHER,
    )
