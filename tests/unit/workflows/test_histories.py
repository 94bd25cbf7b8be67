"""Cases' decoded events kept between reads: never stale, bounded, forgotten on request."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import CaseNotFound
from tests.conftest import TEACHER
from tests.fakes import FakeClock
from tests.unit.domain.journeys import case_in
from workflows.commands import AddNote
from workflows.histories import Histories
from workflows.services import CaseService


def test_a_case_read_again_reuses_its_decoded_events_and_adds_the_new_ones(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    first = service.history(case_id)
    service.handle(AddNote(case_id=case_id, text="读书"), TEACHER)
    again = service.history(case_id)
    assert all(kept is read for kept, read in zip(first, again, strict=False))
    assert len(again) == len(first) + 1
    assert again == list(service.events.get(case_id))


def test_a_case_forgotten_is_read_whole_from_the_store_again(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    first = service.history(case_id)
    service.histories.invalidate(case_id)
    assert len(service.histories) == 0
    again = service.history(case_id)
    assert again == first
    assert again[0] is not first[0]


def test_the_history_of_an_unknown_case_is_not_found_and_nothing_is_kept(service: CaseService) -> None:
    with pytest.raises(CaseNotFound):
        service.history(uuid4())
    assert len(service.histories) == 0


def test_the_least_recently_read_case_goes_first_beyond_the_bound(
    service: CaseService, clock: FakeClock
) -> None:
    cases = [case_in(service, clock, "paired", n) for n in range(1, 4)]
    service.histories = Histories(2)
    first = service.history(cases[0])
    service.history(cases[1])
    service.history(cases[0])
    service.history(cases[2])  # cases[1] is the least recently read
    assert len(service.histories) == 2
    assert service.histories.get(cases[0])[0] is first[0]
    assert service.histories.get(cases[1]) == ()


def test_events_that_do_not_follow_the_last_kept_are_refused(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    events = service.history(case_id)
    with pytest.raises(ValueError, match="do not follow"):
        Histories(1).extend(case_id, tuple(events[:2]), events[3:])
