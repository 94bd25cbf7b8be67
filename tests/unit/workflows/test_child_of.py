"""The school and child of a case, for lists that name children: read once, never stale."""

from __future__ import annotations

import typing
from uuid import uuid4

import pytest

from domain import case_events
from domain.errors import CaseNotFound
from domain.values import Child
from tests.conftest import TEACHER
from tests.fakes import FakeClock
from tests.unit.domain.journeys import AUNT, case_in
from workflows.commands import AddNote, AmendDetails, CloseCase, ReopenCase
from workflows.services import CaseService


def test_the_child_of_a_case_is_the_identified_child_after_every_later_step(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    assert service.child_of(case_id) == ("s1", Child(name="王小明", class_name="三年级2班"))
    clock.advance(days=1)
    for command in (AmendDetails(case_id=case_id, guardian=AUNT), AddNote(case_id=case_id, text="读书"),
                    CloseCase(case_id=case_id, reason="parents_returned"),
                    ReopenCase(case_id=case_id, reason="parents left again")):
        service.handle(command, TEACHER)
        case = service.get_case(case_id)
        assert service.child_of(case_id) == (case.school_id, case.child)


def test_the_child_of_an_unknown_case_is_not_found(service: CaseService) -> None:
    with pytest.raises(CaseNotFound):
        service.child_of(uuid4())


def test_no_event_but_the_first_carries_a_child_so_a_kept_one_cannot_go_stale() -> None:
    events = [c for c in vars(case_events).values()
              if isinstance(c, type) and issubclass(c, case_events.CaseEvent)]
    carrying = {c.__name__ for c in events
                if any("Child" in str(hint) for hint in typing.get_type_hints(c).values())
                or "school_id" in c.model_fields}
    assert carrying == {"Identified"}
