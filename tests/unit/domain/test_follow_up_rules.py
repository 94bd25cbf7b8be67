"""Every follow-up rule of ``left_behind`` v1, through the use cases: scheduling, completion,
recurrence and risk (cancellation and reassignment: ``test_follow_up_cancellation_and_reassignment``).

Due dates count from when the act happened (``occurred_at``); the figures below are the
source practice's (``../shared/domain/left-behind-children.md``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.case import Case
from domain.errors import FollowUpNotOpen
from domain.ids import follow_up_id_for
from domain.values import (
    AssigneeRole,
    ContactChannel,
    ContactParty,
    FollowUpStatus,
    ReviewOutcome,
    RiskLevel,
)
from tests.conftest import COUNSELLOR, SUPERVISOR, TEACHER, identify
from tests.fakes import FakeClock
from tests.unit.domain.journeys import MENTOR, case_in, one_open, open_of_kind
from workflows.commands import (
    ChangeRiskLevel,
    CompleteFollowUp,
    LogContact,
    PairMentor,
    RecordCounselling,
    RecordHomeVisit,
    ReviewCase,
)
from workflows.services import CaseService

DAY = timedelta(days=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def talk(service: CaseService, case_id: object, at: datetime, party: ContactParty) -> None:
    service.handle(
        LogContact(case_id=case_id, occurred_at=at, party=party, channel=ContactChannel.IN_PERSON), TEACHER
    )


def test_identifying_schedules_home_visit_in_14_days_and_contacts_in_30(
    service: CaseService, clock: FakeClock
) -> None:
    opened = clock() - 3 * DAY  # a paper record entered later: due dates count from the act
    result = identify(service, clock, occurred_at=opened)
    due = {t.kind: (t.due_at, t.assignee_role, t.assignee_id) for t in result.scheduled}
    assert due == {
        "home_visit": (opened + 14 * DAY, AssigneeRole.HEAD_TEACHER, TEACHER.user_id),
        "guardian_contact": (opened + 30 * DAY, AssigneeRole.HEAD_TEACHER, TEACHER.user_id),
        "parent_contact": (opened + 30 * DAY, AssigneeRole.HEAD_TEACHER, TEACHER.user_id),
    }
    first = result.scheduled[0]
    assert first.follow_up_id == follow_up_id_for(result.case_id, "home_visit", 1)


def test_the_home_visit_completes_its_task_and_asks_the_supervisor_to_pair_within_7_days(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    task = one_open(service.get_case(case_id), "home_visit")
    visited_at = clock.advance(days=2)
    result = service.handle(
        RecordHomeVisit(case_id=case_id, occurred_at=visited_at, guardian_met=True), TEACHER
    )
    case = service.get_case(case_id)
    assert case.follow_ups[task.follow_up_id].status is FollowUpStatus.DONE
    assert case.follow_ups[task.follow_up_id].closed_at == visited_at
    pairing = one_open(case, "mentor_pairing")
    assert (pairing.due_at, pairing.assignee_role, pairing.assignee_id) == (
        visited_at + 7 * DAY, AssigneeRole.SUPERVISOR, None)
    assert "FollowUpCompleted" in result.events


def test_pairing_schedules_mentor_talk_in_14_days_and_counselling_in_30(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "visited")
    pairing = one_open(service.get_case(case_id), "mentor_pairing")
    at = clock.advance(days=1)
    service.handle(PairMentor(case_id=case_id, occurred_at=at, teacher_id=MENTOR), SUPERVISOR)
    case = service.get_case(case_id)
    assert case.follow_ups[pairing.follow_up_id].status is FollowUpStatus.DONE
    talk_task = one_open(case, "mentor_talk")
    assert (talk_task.due_at, talk_task.assignee_role, talk_task.assignee_id) == (
        at + 14 * DAY, AssigneeRole.MENTOR, MENTOR)
    counselling = one_open(case, "counselling")
    assert (counselling.due_at, counselling.assignee_role) == (
        at + 30 * DAY, AssigneeRole.COUNSELLING_TEACHER)


def test_counselling_completes_its_task_and_schedules_a_review_in_30_days(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    counselling = one_open(service.get_case(case_id), "counselling")
    at = clock.advance(days=5)
    service.handle(RecordCounselling(case_id=case_id, occurred_at=at), COUNSELLOR)
    case = service.get_case(case_id)
    assert case.follow_ups[counselling.follow_up_id].status is FollowUpStatus.DONE
    assert open_of_kind(case, "counselling") == []  # normal risk: no recurring counselling
    review = one_open(case, "case_review")
    assert (review.due_at, review.assignee_role) == (at + 30 * DAY, AssigneeRole.SUPERVISOR)
    assert case.counselling_teacher_id == COUNSELLOR.user_id


def test_a_review_that_continues_schedules_next_terms_visit_and_a_review_in_120_days(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "counselled")  # clock: 1 September 2026, school year
    review = one_open(service.get_case(case_id), "case_review")
    at = clock.advance(days=20)
    service.handle(ReviewCase(case_id=case_id, occurred_at=at, outcome=ReviewOutcome.CONTINUE), SUPERVISOR)
    case = service.get_case(case_id)
    assert case.follow_ups[review.follow_up_id].status is FollowUpStatus.DONE
    periodic = one_open(case, "case_review")
    assert (periodic.rule_id, periodic.due_at) == ("periodic_review", at + 120 * DAY)
    visit = one_open(case, "home_visit")
    assert visit.rule_id == "next_term_home_visit"
    assert visit.due_at == datetime(2027, 3, 1, tzinfo=SHANGHAI)
    assert visit.assignee_id == TEACHER.user_id


@pytest.mark.parametrize(
    ("reviewed_at", "term_start"),
    [
        # 23:00 on 31 August in Shanghai: the autumn term starts the next day.
        (datetime(2026, 8, 31, 15, 0, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=SHANGHAI)),
        # 01:00 on 1 September in Shanghai (still 31 August in UTC): next is spring.
        (datetime(2026, 8, 31, 17, 0, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=SHANGHAI)),
        (datetime(2027, 1, 10, 2, 0, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=SHANGHAI)),
    ],
)
def test_next_terms_home_visit_is_due_at_term_start_in_shanghai_time(
    service: CaseService, reviewed_at: datetime, term_start: datetime
) -> None:
    clock = FakeClock(reviewed_at - 30 * DAY)
    service.clock = clock
    case_id = case_in(service, clock, "counselled")
    clock.set(reviewed_at)
    service.handle(
        ReviewCase(case_id=case_id, occurred_at=reviewed_at, outcome=ReviewOutcome.CONTINUE), SUPERVISOR
    )
    visit = one_open(service.get_case(case_id), "home_visit")
    assert visit.due_at == term_start
    assert visit.due_at.astimezone(SHANGHAI).hour == 0


def test_next_terms_visit_completes_by_the_visit_and_starts_a_new_cycle(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "reviewed")
    case = service.get_case(case_id)
    visit, periodic = one_open(case, "home_visit"), one_open(case, "case_review")
    at = clock.advance(days=30)
    service.handle(RecordHomeVisit(case_id=case_id, occurred_at=at, guardian_met=False), TEACHER)
    case = service.get_case(case_id)
    assert case.state == "visited"
    assert case.follow_ups[visit.follow_up_id].status is FollowUpStatus.DONE
    assert case.follow_ups[periodic.follow_up_id].status is FollowUpStatus.CANCELLED
    assert one_open(case, "mentor_pairing").due_at == at + 7 * DAY


@pytest.mark.parametrize(
    ("kind", "party", "every"),
    [("mentor_talk", ContactParty.CHILD, 14), ("guardian_contact", ContactParty.GUARDIAN, 30),
     ("parent_contact", ContactParty.PARENT, 30)],
)
def test_a_recurring_task_done_gets_its_successor_at_once_counted_from_the_act(
    service: CaseService, clock: FakeClock, kind: str, party: ContactParty, every: int
) -> None:
    case_id = case_in(service, clock, "paired")
    first = one_open(service.get_case(case_id), kind)
    at = clock.advance(days=3)
    talk(service, case_id, at, party)
    case = service.get_case(case_id)
    done = case.follow_ups[first.follow_up_id]
    successor = one_open(case, kind)
    assert done.status is FollowUpStatus.DONE
    assert (successor.rule_id, successor.sequence) == (first.rule_id, first.sequence + 1)
    assert successor.scheduled_at == done.closed_at == at  # no gap between the two
    assert successor.due_at == at + every * DAY
    assert successor.follow_up_id == follow_up_id_for(case_id, first.rule_id, first.sequence + 1)


def test_a_contact_completes_only_the_task_of_its_party(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    before = {t.kind: t for t in service.get_case(case_id).open_follow_ups}
    talk(service, case_id, clock.advance(days=1), ContactParty.GUARDIAN)
    after = {t.kind: t for t in service.get_case(case_id).open_follow_ups}
    assert after["guardian_contact"].sequence == 2
    for kind in ("mentor_talk", "parent_contact", "counselling"):
        assert after[kind] == before[kind]


def test_a_task_marked_done_by_hand_is_done_and_a_recurring_one_recurs(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    case = service.get_case(case_id)
    counselling, contact = one_open(case, "counselling"), one_open(case, "guardian_contact")
    at = clock.advance(days=2)
    for task in (counselling, contact):
        service.handle(
            CompleteFollowUp(
                case_id=case_id,
                occurred_at=at,
                follow_up_id=task.follow_up_id,
                note="done at the parents' meeting",
            ),
            TEACHER,
        )
    case = service.get_case(case_id)
    assert case.follow_ups[counselling.follow_up_id].status is FollowUpStatus.DONE
    assert open_of_kind(case, "counselling") == []
    assert one_open(case, "guardian_contact").due_at == at + 30 * DAY
    with pytest.raises(FollowUpNotOpen, match="is done"):
        service.handle(
            CompleteFollowUp(case_id=case_id, occurred_at=at, follow_up_id=counselling.follow_up_id), TEACHER
        )
    with pytest.raises(FollowUpNotOpen, match="does not exist"):
        service.handle(
            CompleteFollowUp(
                case_id=case_id, occurred_at=at, follow_up_id=follow_up_id_for(case_id, "nothing", 1)
            ),
            TEACHER,
        )


def test_high_risk_halves_due_offsets(service: CaseService, clock: FakeClock) -> None:
    normal = identify(service, clock, 1)
    high = identify(service, clock, 2, risk_level=RiskLevel.HIGH)
    for n, m in zip(normal.scheduled, high.scheduled, strict=True):
        assert n.kind == m.kind
        assert m.due_at - clock() == (n.due_at - clock()) / 2


def test_high_risk_counselling_recurs_every_14_days_without_halving(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    at = clock.advance(days=1)
    service.handle(RecordCounselling(case_id=case_id, occurred_at=at, risk_level=RiskLevel.HIGH), COUNSELLOR)
    case = service.get_case(case_id)
    first = one_open(case, "counselling")
    assert (first.rule_id, first.due_at, first.assignee_id) == (
        "high_risk_counselling", at + 14 * DAY, COUNSELLOR.user_id)
    assert one_open(case, "case_review").due_at == at + 15 * DAY  # 30 halved
    again = clock.advance(days=13)
    service.handle(RecordCounselling(case_id=case_id, occurred_at=again), COUNSELLOR)
    case = service.get_case(case_id)
    second = one_open(case, "counselling")
    assert case.follow_ups[first.follow_up_id].status is FollowUpStatus.DONE
    assert (second.rule_id, second.sequence, second.due_at) == (
        "high_risk_counselling", 2, again + 14 * DAY)


def test_raising_risk_at_review_schedules_high_risk_counselling_and_halves_the_review(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "counselled")
    at = clock.advance(days=10)
    result = service.handle(
        ReviewCase(case_id=case_id, occurred_at=at, outcome=ReviewOutcome.RAISE_RISK), SUPERVISOR
    )
    assert "RiskLevelChanged" in result.events
    case = service.get_case(case_id)
    assert case.risk_level is RiskLevel.HIGH
    assert one_open(case, "counselling").due_at == at + 14 * DAY
    assert one_open(case, "case_review").due_at == at + 60 * DAY


def test_lowering_risk_cancels_high_risk_counselling(service: CaseService, clock: FakeClock) -> None:
    case_id = case_in(service, clock, "counselled")
    service.handle(ChangeRiskLevel(case_id=case_id, occurred_at=clock(), level=RiskLevel.HIGH), SUPERVISOR)
    task = one_open(service.get_case(case_id), "counselling")
    service.handle(ChangeRiskLevel(case_id=case_id, occurred_at=clock(), level=RiskLevel.NORMAL), SUPERVISOR)
    case = service.get_case(case_id)
    assert case.follow_ups[task.follow_up_id].status is FollowUpStatus.CANCELLED
    cancelled = [e for e in service.history(case_id) if isinstance(e, Case.FollowUpCancelled)]
    assert cancelled[-1].reason == "no longer risk_high"


def test_a_case_never_has_two_open_tasks_of_one_kind(service: CaseService, clock: FakeClock) -> None:
    case_id = case_in(service, clock, "paired")
    # counselling is open: raising the risk must not add the high-risk one beside it
    service.handle(ChangeRiskLevel(case_id=case_id, occurred_at=clock(), level=RiskLevel.HIGH), SUPERVISOR)
    assert one_open(service.get_case(case_id), "counselling").rule_id == "counselling"
    service.handle(RecordCounselling(case_id=case_id, occurred_at=clock()), COUNSELLOR)
    service.handle(
        ReviewCase(case_id=case_id, occurred_at=clock(), outcome=ReviewOutcome.CONTINUE), SUPERVISOR
    )
    # a second review while next term's visit is open must not schedule another visit
    service.handle(
        ReviewCase(case_id=case_id, occurred_at=clock(), outcome=ReviewOutcome.CONTINUE), SUPERVISOR
    )
    kinds = [t.kind for t in service.get_case(case_id).open_follow_ups]
    assert len(kinds) == len(set(kinds))
    assert "home_visit" in kinds
    assert "case_review" in kinds
