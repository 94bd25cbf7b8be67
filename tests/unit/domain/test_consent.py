"""The guardian's consent: recorded at identification or later, withdrawn, and the
supervisor's erasure decision a withdrawal opens."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from adapters.bootstrap import case_service
from adapters.driven.events.environment import memory_env
from adapters.settings import Settings
from domain.case import Case
from domain.errors import IllegalStep, InvalidCommand
from domain.values import AssigneeRole, ClosureReason, Consent, ConsentMethod, ErasureReason
from tests.conftest import SUPERVISOR, TEACHER, identify
from tests.fakes import FakeClock
from tests.unit.domain.journeys import SIGNED, VERBAL, aggregate_state, case_in, open_of_kind
from workflows.commands import CloseCase, CompleteFollowUp, EraseCase, RecordConsent, WithdrawConsent
from workflows.definition import load_definition
from workflows.engine import Workflow
from workflows.registry import BUILTIN_DIR, Registry
from workflows.services import CaseService


def _withdraw(service: CaseService, case_id: object, **more: object) -> None:
    service.handle(WithdrawConsent(case_id=case_id, withdrawn_by="李奶奶", relation="grandmother",
                                   **more), TEACHER)


def test_consent_given_at_identification_is_part_of_the_case(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock, consent=SIGNED).case_id
    case = service.get_case(case_id)
    assert (case.consent, case.consent_withdrawal) == (SIGNED, None)
    (opened,) = [e for e in service.history(case_id) if isinstance(e, Case.Identified)]
    assert opened.consent == SIGNED


def test_a_register_imported_without_the_form_records_consent_later(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "visited")
    assert service.get_case(case_id).consent is None
    result = service.handle(RecordConsent(case_id=case_id, consent=VERBAL), TEACHER)
    assert result.events == ("ConsentRecorded",)
    assert result.state == "visited"
    assert service.get_case(case_id).consent == VERBAL


def test_a_signed_form_needs_its_number_and_a_verbal_consent_a_witness() -> None:
    base = {"given_by": "李奶奶", "relation": "grandmother", "given_on": date(2026, 8, 28)}
    with pytest.raises(ValidationError, match="form_number"):
        Consent(method=ConsentMethod.SIGNED_FORM, **base)
    with pytest.raises(ValidationError, match="witness"):
        Consent(method=ConsentMethod.VERBAL, form_number="XJ-1", **base)


def test_a_consent_dated_in_the_future_or_long_ago_is_refused_and_records_nothing(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    before = aggregate_state(service.get_case(case_id))
    for day in (clock().date() + timedelta(days=3), date(1999, 12, 31)):
        late = SIGNED.model_copy(update={"given_on": day})
        with pytest.raises(InvalidCommand, match="given_on must lie between"):
            service.handle(RecordConsent(case_id=case_id, consent=late), TEACHER)
    assert aggregate_state(service.get_case(case_id)) == before
    with pytest.raises(InvalidCommand, match="given_on"):
        identify(service, clock, 2, consent=SIGNED.model_copy(update={"given_on": date(1999, 1, 1)}))


def test_the_same_consent_twice_is_refused(service: CaseService, clock: FakeClock) -> None:
    case_id = identify(service, clock, consent=SIGNED).case_id
    with pytest.raises(InvalidCommand, match="already has this consent"):
        service.handle(RecordConsent(case_id=case_id, consent=SIGNED), TEACHER)


def test_a_withdrawal_opens_the_supervisors_erasure_decision_within_15_days(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock, consent=SIGNED).case_id
    clock.advance(days=3)
    _withdraw(service, case_id, note="the family moves away")
    case = service.get_case(case_id)
    assert case.consent == SIGNED  # what was given stays on record; the withdrawal beside it
    assert case.consent_withdrawal is not None
    assert (case.consent_withdrawal.withdrawn_by, case.consent_withdrawal.withdrawn_at) == ("李奶奶", clock())
    (task,) = open_of_kind(case, "erasure_decision")
    assert (task.assignee_role, task.assignee_id) == (AssigneeRole.SUPERVISOR, None)
    assert task.due_at == clock() + timedelta(days=15)


def test_a_second_withdrawal_is_refused(service: CaseService, clock: FakeClock) -> None:
    case_id = identify(service, clock).case_id
    _withdraw(service, case_id)
    with pytest.raises(InvalidCommand, match="already withdrawn"):
        _withdraw(service, case_id)


def test_consent_given_again_completes_the_erasure_decision(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock, consent=SIGNED).case_id
    _withdraw(service, case_id)
    clock.advance(days=1)
    service.handle(RecordConsent(case_id=case_id, consent=SIGNED), TEACHER)  # the same form again
    case = service.get_case(case_id)
    assert (case.consent, case.consent_withdrawal) == (SIGNED, None)
    assert open_of_kind(case, "erasure_decision") == []
    (task,) = [t for t in case.follow_ups.values() if t.kind == "erasure_decision"]
    assert task.status == "done"


def test_erasing_the_child_s_data_completes_the_erasure_decision(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock, consent=SIGNED).case_id
    _withdraw(service, case_id)
    clock.advance(days=2)
    service.handle(EraseCase(case_id=case_id, reason=ErasureReason.CONSENT_WITHDRAWN), SUPERVISOR)
    case = service.get_case(case_id)
    assert case.erased
    assert open_of_kind(case, "erasure_decision") == []
    (task,) = [t for t in case.follow_ups.values() if t.kind == "erasure_decision"]
    assert task.status == "done"


def test_a_closed_case_keeps_its_erasure_decision_until_the_supervisor_decides(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = case_in(service, clock, "closed")
    _withdraw(service, case_id)
    (task,) = open_of_kind(service.get_case(case_id), "erasure_decision")
    result = service.handle(CompleteFollowUp(case_id=case_id, follow_up_id=task.follow_up_id,
                                             note="kept: a safeguarding report is open"), SUPERVISOR)
    assert result.state == "closed"
    assert open_of_kind(service.get_case(case_id), "erasure_decision") == []


def test_closing_a_case_leaves_its_erasure_decision_open(service: CaseService, clock: FakeClock) -> None:
    case_id = case_in(service, clock, "visited")
    _withdraw(service, case_id)
    service.handle(CloseCase(case_id=case_id, reason=ClosureReason.LEFT_SCHOOL), SUPERVISOR)
    case = service.get_case(case_id)
    assert [t.kind for t in case.open_follow_ups] == ["erasure_decision"]


def test_events_stored_before_consent_existed_still_load(clock: FakeClock) -> None:
    case = Case.Identified.model_validate_json(json.dumps({
        "originator_id": "6f1e8f4e-3d6c-5f55-9c1d-8a1b2c3d4e5f", "originator_version": 1,
        "timestamp": "2026-09-01T01:00:00Z", "originator_topic": "domain.case:Case",
        "actor": {"user_id": "t-head", "role": "teacher"}, "occurred_at": "2026-09-01T01:00:00Z",
        "command_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "workflow": {"name": "left_behind", "version": 2}, "school_id": "s1",
        "student_no": "20260001", "child": {"name": "王小明"},
        "guardian": {"name": "李奶奶", "relation": "grandmother"}, "parents": {"away": "both"},
        "head_teacher_id": "t-head", "risk_level": "normal", "state": "identified",
    })).mutate(None)
    assert (case.consent, case.consent_withdrawal) == (None, None)
    state = Case.Snapshot.take(case).state.model_dump(mode="json")
    del state["consent"], state["consent_withdrawal"]  # a snapshot taken before consent existed
    assert Case.Snapshot.model_validate({**Case.Snapshot.take(case).model_dump(), "state": state}) \
        .mutate(None).consent is None


def test_a_case_that_pinned_version_2_has_no_consent_steps(clock: FakeClock) -> None:
    v2 = Workflow(load_definition(BUILTIN_DIR / "left_behind.v2.toml"))
    service = case_service(Settings(), memory_env(), registry=Registry([v2]), clock=clock)
    try:
        case_id = identify(service, clock, consent=SIGNED).case_id  # consent is identification's
        service.registry = Registry.load()
        with pytest.raises(IllegalStep, match="withdraw_consent is not allowed"):
            _withdraw(service, case_id)
    finally:
        service.close()
