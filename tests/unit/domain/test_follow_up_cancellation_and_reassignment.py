"""Open follow-up tasks of ``left_behind`` v1 when the case changes hands or state, through
the use cases: cancelled with a reason, replaced, rescheduled on reopening, or reassigned.

Due dates count from when the act happened (``occurred_at``); the figures below are the
source practice's (``../shared/domain/left-behind-children.md``).
"""

from __future__ import annotations

from datetime import timedelta

from domain.case import Case
from domain.values import ClosureReason, FollowUpStatus
from tests.conftest import SUPERVISOR
from tests.fakes import FakeClock
from tests.unit.domain.journeys import (
    MENTOR,
    OTHER_HEAD_TEACHER,
    OTHER_MENTOR,
    case_in,
    one_open,
)
from workflows.commands import AssignHeadTeacher, CloseCase, PairMentor, ReleaseMentor, ReopenCase
from workflows.services import CaseService

DAY = timedelta(days=1)


def test_releasing_the_mentor_when_paired_cancels_what_no_longer_applies_with_a_reason(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "paired")
    case = service.get_case(case_id)
    talk_task, counselling = one_open(case, "mentor_talk"), one_open(case, "counselling")
    at = clock.advance(days=1)
    service.handle(ReleaseMentor(case_id=case_id, occurred_at=at, reason="teacher transferred"), SUPERVISOR)
    case = service.get_case(case_id)
    assert case.state == "visited"
    reasons = {e.follow_up_id: e.reason for e in service.history(case_id)
               if isinstance(e, Case.FollowUpCancelled)}
    assert reasons == {talk_task.follow_up_id: "case is now visited",
                       counselling.follow_up_id: "case is now visited"}
    assert one_open(case, "mentor_pairing").due_at == at + 7 * DAY
    assert service.get_mentor(MENTOR).children == []  # type: ignore[union-attr]


def test_releasing_the_mentor_after_counselling_asks_for_a_replacement(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "counselled")
    talk_task = one_open(service.get_case(case_id), "mentor_talk")
    at = clock.advance(days=1)
    service.handle(ReleaseMentor(case_id=case_id, occurred_at=at, reason="pairing did not work"), SUPERVISOR)
    case = service.get_case(case_id)
    assert case.state == "counselled"
    assert case.follow_ups[talk_task.follow_up_id].status is FollowUpStatus.CANCELLED
    replacement = one_open(case, "mentor_pairing")
    assert (replacement.rule_id, replacement.due_at) == ("mentor_replacement", at + 7 * DAY)
    later = clock.advance(days=2)
    service.handle(PairMentor(case_id=case_id, occurred_at=later, teacher_id=OTHER_MENTOR), SUPERVISOR)
    case = service.get_case(case_id)
    assert case.follow_ups[replacement.follow_up_id].status is FollowUpStatus.DONE
    assert one_open(case, "mentor_talk").assignee_id == OTHER_MENTOR


def test_closing_cancels_every_open_task_with_the_reason_and_releases_the_mentor(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "reviewed")
    open_ids = {t.follow_up_id for t in service.get_case(case_id).open_follow_ups}
    assert len(open_ids) >= 4
    service.handle(
        CloseCase(case_id=case_id, occurred_at=clock(), reason=ClosureReason.LEFT_SCHOOL), SUPERVISOR
    )
    case = service.get_case(case_id)
    assert case.open_follow_ups == []
    cancelled = {e.follow_up_id: e.reason for e in service.history(case_id)
                 if isinstance(e, Case.FollowUpCancelled)}
    assert cancelled == dict.fromkeys(open_ids, "case is now closed")
    assert case.mentor_id is None
    assert service.get_mentor(MENTOR).children == []  # type: ignore[union-attr]


def test_reopening_schedules_a_new_home_visit_and_contacts_with_new_sequences(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "closed")
    at = clock.advance(days=40)
    service.handle(ReopenCase(case_id=case_id, occurred_at=at, reason="parents left again"), SUPERVISOR)
    case = service.get_case(case_id)
    visit = one_open(case, "home_visit")
    assert (visit.sequence, visit.due_at) == (2, at + 14 * DAY)
    assert one_open(case, "guardian_contact").sequence == 2
    assert case.closed_at is None


def test_a_new_head_teacher_takes_over_the_open_head_teacher_tasks_only(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "visited")
    before = {t.kind: t for t in service.get_case(case_id).open_follow_ups}
    service.handle(
        AssignHeadTeacher(case_id=case_id, occurred_at=clock(), teacher_id=OTHER_HEAD_TEACHER), SUPERVISOR
    )
    after = {t.kind: t for t in service.get_case(case_id).open_follow_ups}
    assert after["guardian_contact"].assignee_id == OTHER_HEAD_TEACHER
    assert after["parent_contact"].assignee_id == OTHER_HEAD_TEACHER
    assert after["mentor_pairing"] == before["mentor_pairing"]  # the supervisor's, unchanged
    assert after["guardian_contact"].due_at == before["guardian_contact"].due_at


def test_a_mentor_hand_over_moves_the_child_and_the_mentor_talk_to_the_new_mentor(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "counselled")
    talk_task = one_open(service.get_case(case_id), "mentor_talk")
    result = service.handle(
        PairMentor(case_id=case_id, occurred_at=clock(), teacher_id=OTHER_MENTOR), SUPERVISOR
    )
    assert result.events[:2] == ("MentorReleased", "MentorPaired")
    case = service.get_case(case_id)
    moved = one_open(case, "mentor_talk")
    assert moved.follow_up_id == talk_task.follow_up_id
    assert moved.assignee_id == OTHER_MENTOR
    assert service.get_mentor(MENTOR).children == []  # type: ignore[union-attr]
    assert service.get_mentor(OTHER_MENTOR).children == [case_id]  # type: ignore[union-attr]
