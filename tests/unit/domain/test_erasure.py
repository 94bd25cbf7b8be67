"""Erasing a case: the skeleton stays, personal fields read as erased, nothing more happens.

On the in-memory store with its own key store (``tests/conftest.py`` ``service``); the
stores on disk, restarts, backups and copies are in ``tests/integration/test_erasure.py``.
"""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.bootstrap import case_service
from adapters.driven.events.environment import memory_env
from adapters.settings import Settings
from domain.errors import AlreadyErased, CaseAlreadyExists, CaseErased, DomainError, NotPermitted
from domain.personal import ERASED
from domain.values import Action, Actor, ErasureReason, Role
from tests.conftest import SUPERVISOR, TEACHER, identify
from tests.fakes import FakeClock
from tests.unit.domain.case_steps import ACTIONS, draw_step
from workflows.commands import AddNote, EraseCase, RecordHomeVisit
from workflows.registry import Registry
from workflows.services import SYSTEM_ACTOR, CaseService

ADMIN = Actor(user_id="admin-1", role=Role.ADMIN)


def _erase(service: CaseService, case_id: Any, actor: Actor = SUPERVISOR) -> Any:
    return service.handle(EraseCase(case_id=case_id, reason=ErasureReason.GUARDIAN_REQUEST), actor)


def test_an_erased_case_keeps_its_skeleton_and_reads_erased(service: CaseService, clock: FakeClock) -> None:
    case_id = identify(service, clock).case_id
    clock.advance(hours=1)
    service.handle(AddNote(case_id=case_id, text="奶奶说孩子夜里哭"), TEACHER)
    before = service.get_case(case_id)
    result = _erase(service, case_id)
    assert result.events == ("Erased",)
    after = service.get_case(case_id)
    assert after.erased
    assert after.child.name == ERASED
    assert after.guardian.phone is None
    assert after.student_no == ERASED
    assert after.parents.away == before.parents.away
    assert (after.state, after.follow_ups, after.head_teacher_id) == (
        before.state, before.follow_ups, before.head_teacher_id)
    history = service.history(case_id)
    assert [type(e).__name__ for e in history][-2:] == ["NoteAdded", "Erased"]
    assert history[-2].text == ERASED
    assert history[0].child.name == ERASED
    # The case as it was before the erasure: the skeleton, erased personal fields.
    assert service.get_case(case_id, version=1).guardian.name == ERASED


def test_erasing_twice_says_already_erased_and_records_nothing(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    _erase(service, case_id)
    position = service.position()
    with pytest.raises(AlreadyErased, match="already erased"):
        _erase(service, case_id, ADMIN)
    assert service.position() == position


def test_an_erased_case_refuses_further_steps_and_the_scheduler_skips_it(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    _erase(service, case_id)
    with pytest.raises(CaseErased) as refused:
        service.handle(RecordHomeVisit(case_id=case_id, guardian_met=True), TEACHER)
    assert refused.value.code == "case-erased"
    case = service.get_case(case_id)
    assert case.open_follow_ups  # kept: the skeleton does not change
    assert not case.escalate_follow_up(
        service.registry.get(case.workflow),
        service._context(SYSTEM_ACTOR, None, uuid4()),
        follow_up_id=case.open_follow_ups[0].follow_up_id, level=1,
    )


def test_only_a_supervisor_an_admin_or_the_system_may_erase(service: CaseService, clock: FakeClock) -> None:
    case_id = identify(service, clock).case_id
    with pytest.raises(NotPermitted):
        _erase(service, case_id, TEACHER)
    assert not service.get_case(case_id).erased
    _erase(service, case_id, ADMIN)
    assert service.get_case(case_id).erased


def test_the_same_child_identified_again_gets_a_new_case_and_an_import_rerun_does_not(
    service: CaseService, clock: FakeClock
) -> None:
    command_id = uuid4()
    first = identify(service, clock, command_id=command_id).case_id
    with pytest.raises(CaseAlreadyExists):
        identify(service, clock)
    _erase(service, first)
    again = identify(service, clock, command_id=command_id)  # the same import row again
    assert again.replayed
    assert again.case_id == first
    second = identify(service, clock)
    assert second.case_id != first
    assert not second.replayed
    assert service.get_case(second.case_id).child.name == "王小明"
    assert service.get_case(second.case_id).generation == 1
    with pytest.raises(CaseAlreadyExists):
        identify(service, clock)


def _skeleton(case: Any) -> Any:
    return (case.state, case.version - 0, case.risk_level, case.mentor_id, case.head_teacher_id,
            {k: (t.kind, t.status, t.due_at, t.escalation_level, t.assignee_id)
             for k, t in case.follow_ups.items()})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.lists(ACTIONS, max_size=12), snapshot_every=st.sampled_from([0, 3]))
def test_any_steps_then_an_erasure_leave_the_replayed_skeleton_as_it_was(
    data: st.DataObject, steps: list[Action], snapshot_every: int
) -> None:
    clock = FakeClock()
    service = case_service(Settings(snapshot_interval=snapshot_every), memory_env(),
                           registry=Registry.load(), clock=clock)
    try:
        case_id = identify(service, clock).case_id
        for action in steps:
            clock.advance(hours=5)
            command, fields = draw_step(data.draw, action, service.get_case(case_id))
            with contextlib.suppress(DomainError, ValueError):  # a refused step changes nothing
                service.handle(command(case_id=case_id, **fields), SUPERVISOR)
        before = _skeleton(service.get_case(case_id))
        clock.advance(hours=1)
        _erase(service, case_id)
        service.histories.invalidate(case_id)
        replayed = service.repository.get(case_id)  # from the store (and snapshots), not the cache
        assert replayed.erased
        after = _skeleton(replayed)
        assert after[0] == before[0]
        # The one task an erasure decides: an open erasure decision (after a withdrawal) is done.
        decided = {k for k, t in before[5].items() if t[:2] == ("erasure_decision", "open")}
        assert after[2:5] == before[2:5]
        assert {k: t for k, t in after[5].items() if k not in decided} == {
            k: t for k, t in before[5].items() if k not in decided}
        assert all(after[5][k][1] == "done" for k in decided)
        assert replayed.version == before[1] + 1 + len(decided)
    finally:
        service.close()
