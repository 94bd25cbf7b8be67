"""When things happened: stated by the user, never in the future, never before the case."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from domain.errors import InvalidCommand, OccurredBeforeCase, OccurredInFuture
from domain.values import Action, Child
from tests.conftest import SUPERVISOR, TEACHER, identify
from tests.fakes import FakeClock
from tests.unit.domain.journeys import WHERE, aggregate_state, case_in, run_action
from workflows.commands import PairMentor, RecordHomeVisit
from workflows.services import CaseService


def test_identifying_a_child_in_the_future_is_refused_and_opens_no_case(
    service: CaseService, clock: FakeClock
) -> None:
    with pytest.raises(OccurredInFuture, match="in the future"):
        identify(service, clock, occurred_at=clock() + timedelta(minutes=6))
    assert service.position() == 0


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_a_step_stated_more_than_5_minutes_ahead_is_refused_and_changes_nothing(
    service: CaseService, clock: FakeClock, action: Action
) -> None:
    case_id = case_in(service, clock, WHERE[action])
    before = aggregate_state(service.get_case(case_id))
    ahead = clock() + timedelta(minutes=5, seconds=1)
    with pytest.raises(OccurredInFuture):
        run_action(service, clock, case_id, action, at=ahead)
    assert aggregate_state(service.get_case(case_id)) == before


BEIJING = timezone(timedelta(hours=8))


@pytest.mark.parametrize("when", [
    datetime(1, 1, 1, tzinfo=BEIJING),  # its UTC instant lies in year 0: no view could show it
    datetime(1900, 1, 1, tzinfo=BEIJING),
    datetime(2000, 1, 1, 7, 59, 59, tzinfo=BEIJING),  # 1999-12-31T23:59:59Z
], ids=["year 1", "1900", "a second before 2000 UTC"])
def test_a_case_dated_before_2000_is_refused_and_opens_nothing(
    service: CaseService, clock: FakeClock, when: datetime
) -> None:
    with pytest.raises(InvalidCommand, match="before 2000-01-01"):
        identify(service, clock, occurred_at=when)
    assert service.position() == 0


def test_a_case_dated_2000_or_later_in_utc_is_taken(service: CaseService, clock: FakeClock) -> None:
    identify(service, clock, occurred_at=datetime(2000, 1, 1, 8, tzinfo=BEIJING))
    assert service.position() > 0


@pytest.mark.parametrize("born", [date(1989, 12, 31), "tomorrow"])
def test_a_birth_date_no_pupil_can_have_is_refused(
    service: CaseService, clock: FakeClock, born: date | str
) -> None:
    birth_date = clock().date() + timedelta(days=1) if born == "tomorrow" else born
    with pytest.raises(InvalidCommand, match="birth_date"):
        identify(service, clock, child=Child(name="王小明", birth_date=birth_date))
    assert service.position() == 0


def test_a_step_stated_before_the_case_was_opened_is_refused_naming_the_case(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "visited")
    opened = service.get_case(case_id).opened_at
    before = aggregate_state(service.get_case(case_id))
    with pytest.raises(OccurredBeforeCase) as refused:
        service.handle(
            PairMentor(case_id=case_id, occurred_at=opened - timedelta(seconds=1), teacher_id="t-m"),
            SUPERVISOR,
        )
    assert str(case_id) in str(refused.value)
    assert aggregate_state(service.get_case(case_id)) == before


def test_a_backfilled_paper_record_keeps_both_times_and_counts_due_dates_from_the_act(
    service: CaseService, clock: FakeClock
) -> None:
    opened = clock() - timedelta(days=40)
    case_id = identify(service, clock, occurred_at=opened).case_id
    visited = opened + timedelta(days=3)
    clock.advance(hours=2)
    service.handle(RecordHomeVisit(case_id=case_id, occurred_at=visited, guardian_met=True), TEACHER)
    events = service.history(case_id)
    visit = next(e for e in events if type(e).__name__ == "HomeVisited")
    assert visit.occurred_at == visited
    assert visit.timestamp == clock()  # recorded (server) time
    assert visit.actor == TEACHER
    pairing = service.get_case(case_id).open_follow_ups
    assert [t.due_at for t in pairing if t.kind == "mentor_pairing"] == [visited + timedelta(days=7)]
