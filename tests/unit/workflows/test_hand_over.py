"""A teacher leaves: every case they hold is handed over atomically, capacity respected,
successors checked first, the same operation twice records nothing new."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.values import AssigneeRole
from tests.conftest import COUNSELLOR, SUPERVISOR, TEACHER
from tests.fakes import FakeClock
from tests.unit.domain.journeys import MENTOR, case_in
from workflows.commands import PairMentor
from workflows.errors import AssigneeNotEligible
from workflows.hand_over import MissingSuccessor, Successors, hand_over, holdings_of
from workflows.services import CaseService


class OnlyThese:
    """An ``Assignees`` that lets the listed people take anything at school s1."""

    def __init__(self, *people: str) -> None:
        self.people = set(people)

    def may_take(self, user_id: str, school_id: str, assignment: AssigneeRole) -> bool:
        return user_id in self.people and school_id == "s1"


def _cases(service: CaseService, clock: FakeClock, state: str, numbers: range) -> list[UUID]:
    return [case_in(service, clock, state, n) for n in numbers]


def test_the_plan_lists_what_the_teacher_holds_and_a_dry_run_writes_nothing(
    service: CaseService, clock: FakeClock
) -> None:
    ids = _cases(service, clock, "counselled", range(1, 3))
    position = service.position()
    holdings = holdings_of(service, TEACHER.user_id, ids)
    assert [h.roles for h in holdings] == [(AssigneeRole.HEAD_TEACHER,)] * 2
    assert all(h.open_tasks >= 2 for h in holdings)  # guardian and parent contacts
    report = hand_over(service, TEACHER.user_id, holdings, Successors(head_teacher="t-head-2"),
                       SUPERVISOR, dry_run=True)
    assert (report.dry_run, len(report.holdings), report.moved) == (True, 2, ())
    assert service.position() == position


def test_every_role_and_open_task_moves_in_one_save_per_case(
    service: CaseService, clock: FakeClock
) -> None:
    (case_id,) = _cases(service, clock, "counselled", range(1, 2))
    service.handle(PairMentor(case_id=case_id, teacher_id=COUNSELLOR.user_id), SUPERVISOR)
    # COUNSELLOR now counsels and mentors the child: both roles go in one command.
    holdings = holdings_of(service, COUNSELLOR.user_id, [case_id])
    assert set(holdings[0].roles) == {AssigneeRole.MENTOR, AssigneeRole.COUNSELLING_TEACHER}
    before = service.get_case(case_id).version
    report = hand_over(
        service, COUNSELLOR.user_id, holdings,
        Successors(mentor="t-mentor-2", counselling_teacher="t-counsel-2"), SUPERVISOR, dry_run=False,
    )
    assert [h.case_id for h in report.moved] == [case_id]
    case = service.get_case(case_id)
    assert (case.mentor_id, case.counselling_teacher_id) == ("t-mentor-2", "t-counsel-2")
    assert not [t for t in case.open_tasks.values() if t.assignee_id == COUNSELLOR.user_id]
    new = service.history(case_id)[before:]
    assert len({e.command_id for e in new}) == 1
    assert {type(e).__name__ for e in new} >= {
        "CounsellingTeacherAssigned", "MentorReleased", "MentorPaired", "FollowUpReassigned"}
    assert service.get_mentor(COUNSELLOR.user_id).children == []
    assert service.get_mentor("t-mentor-2").children == [case_id]


def test_a_full_mentor_refuses_the_children_that_do_not_fit_and_the_rest_move(
    service: CaseService, clock: FakeClock
) -> None:
    ids = _cases(service, clock, "paired", range(1, 3))  # mentored by MENTOR
    others = _cases(service, clock, "visited", range(3, 5))
    for case_id in others:  # the successor already has 2 of 3
        service.handle(PairMentor(case_id=case_id, teacher_id="t-mentor-2"), SUPERVISOR)
    holdings = holdings_of(service, MENTOR, ids)
    report = hand_over(service, MENTOR, holdings, Successors(mentor="t-mentor-2"), SUPERVISOR,
                       dry_run=False)
    assert [h.case_id for h in report.moved] == [ids[0]]
    (refused,) = report.refused
    assert (refused.holding.case_id, refused.code) == (ids[1], "mentor-at-capacity")
    assert service.get_case(ids[1]).mentor_id == MENTOR  # nothing of that case moved


def test_running_the_same_hand_over_again_changes_nothing(service: CaseService, clock: FakeClock) -> None:
    ids = _cases(service, clock, "paired", range(1, 3))
    successors = Successors(head_teacher="t-head-2", mentor="t-mentor-2")
    holdings = holdings_of(service, MENTOR, ids)
    hand_over(service, MENTOR, holdings, successors, SUPERVISOR, dry_run=False)
    position = service.position()
    again = hand_over(service, MENTOR, holdings, successors, SUPERVISOR, dry_run=False)
    assert (again.moved, len(again.unchanged)) == ((), 2)
    assert service.position() == position
    assert holdings_of(service, MENTOR, ids) == []


def test_a_successor_who_may_not_take_the_work_stops_everything_before_a_write(
    service: CaseService, clock: FakeClock
) -> None:
    ids = _cases(service, clock, "paired", range(1, 3))
    service.assignees = OnlyThese("t-head-2")
    position = service.position()
    holdings = holdings_of(service, TEACHER.user_id, ids)
    with pytest.raises(AssigneeNotEligible, match="ghost-teacher may not be the head teacher"):
        hand_over(service, TEACHER.user_id, holdings, Successors(head_teacher="ghost-teacher"),
                  SUPERVISOR, dry_run=False)
    with pytest.raises(MissingSuccessor, match=r"mentor of 2 open case\(s\): name the mentor"):
        hand_over(service, MENTOR, holdings_of(service, MENTOR, ids), Successors(), SUPERVISOR,
                  dry_run=True)
    assert service.position() == position
