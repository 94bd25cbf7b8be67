"""What the case property test (``test_case_properties``) draws, and its oracle.

The commands of every action with drawn arguments, some of them refusable, and which follow-up
rules should have a task open for a case as it is now.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from hypothesis import strategies as st

from domain.case import Case
from domain.values import (
    Action,
    ClosureReason,
    ContactChannel,
    ContactParty,
    Parents,
    ParentsAway,
    ReviewOutcome,
    RiskLevel,
)
from tests.unit.domain.journeys import AUNT, GRANDMOTHER, SIGNED, VERBAL
from workflows.commands import (
    AddNote,
    AmendDetails,
    AssignHeadTeacher,
    CaseCommand,
    ChangeRiskLevel,
    CloseCase,
    CompleteFollowUp,
    LogContact,
    PairMentor,
    RecordConsent,
    RecordCounselling,
    RecordHomeVisit,
    ReleaseMentor,
    ReopenCase,
    ReviewCase,
    WithdrawConsent,
)
from workflows.definition import FollowUpRule

MENTORS = ["m1", "m2"]

#: When the user says the act happened, relative to the server clock.
WHEN = st.sampled_from([
    timedelta(0), timedelta(0), timedelta(0),
    -timedelta(hours=30),           # backfilled (before the case if it is younger)
    timedelta(minutes=3),           # a phone clock slightly ahead: tolerated
    timedelta(minutes=20),          # in the future: refused
])

#: Every action, the steps that move a case forward more often (so cases get deep).
ACTIONS = st.sampled_from([
    *Action,
    Action.RECORD_HOME_VISIT, Action.PAIR_MENTOR, Action.PAIR_MENTOR, Action.RECORD_COUNSELLING,
    Action.REVIEW_CASE, Action.LOG_CONTACT, Action.LOG_CONTACT,
])

#: The usual next steps from each state.
FORWARD = {
    "identified": [Action.RECORD_HOME_VISIT],
    "visited": [Action.PAIR_MENTOR],
    "paired": [Action.RECORD_COUNSELLING, Action.LOG_CONTACT, Action.CHANGE_RISK_LEVEL,
               Action.COMPLETE_FOLLOW_UP],
    "counselled": [Action.REVIEW_CASE, Action.LOG_CONTACT, Action.RECORD_COUNSELLING],
    "reviewed": [Action.RECORD_HOME_VISIT, Action.REVIEW_CASE, Action.LOG_CONTACT],
    "closed": [Action.REOPEN_CASE],
}


def draw_step(draw: Any, action: Action, case: Case) -> tuple[type[CaseCommand], dict[str, Any]]:
    """The command of ``action`` and its drawn fields."""
    match action:
        case Action.RECORD_HOME_VISIT:
            return RecordHomeVisit, {"guardian_met": draw(st.booleans())}
        case Action.PAIR_MENTOR:  # m1 is drawn more often, so it fills up first
            return PairMentor, {"teacher_id": draw(st.sampled_from([MENTORS[0], *MENTORS]))}
        case Action.RELEASE_MENTOR:
            return ReleaseMentor, {"reason": "moved"}
        case Action.RECORD_COUNSELLING:
            return RecordCounselling, {"risk_level": draw(st.sampled_from([None, *RiskLevel]))}
        case Action.REVIEW_CASE:
            return ReviewCase, {"outcome": draw(st.sampled_from(list(ReviewOutcome)))}
        case Action.CLOSE_CASE:
            return CloseCase, {"reason": draw(st.sampled_from(list(ClosureReason)))}
        case Action.REOPEN_CASE:
            return ReopenCase, {"reason": "back"}
        case Action.LOG_CONTACT:
            party = draw(st.sampled_from(list(ContactParty)))
            return LogContact, {"party": party, "channel": ContactChannel.PHONE}
        case Action.ADD_NOTE:  # blank text: refused
            return AddNote, {"text": draw(st.sampled_from(["walked to school alone", "   "]))}
        case Action.ASSIGN_HEAD_TEACHER:
            return AssignHeadTeacher, {"teacher_id": draw(st.sampled_from(["t-head", "t-head-2"]))}
        case Action.CHANGE_RISK_LEVEL:
            return ChangeRiskLevel, {"level": draw(st.sampled_from(list(RiskLevel)))}
        case Action.COMPLETE_FOLLOW_UP:
            known = sorted(case.follow_ups, key=str)
            still_open = sorted((t.follow_up_id for t in case.open_follow_ups), key=str)
            # Open tasks are drawn more often; done, cancelled and unknown ones are refused.
            task = draw(st.sampled_from([*still_open, *still_open, *known, uuid4()]))
            return CompleteFollowUp, {"follow_up_id": task}
        case Action.AMEND_DETAILS:  # the same guardian as now: refused (nothing changed)
            guardian = draw(st.sampled_from([AUNT, GRANDMOTHER]))
            parents = draw(st.sampled_from([None, Parents(away=ParentsAway.MOTHER, work_place="上海")]))
            return AmendDetails, {"guardian": guardian, "parents": parents}
        case Action.RECORD_CONSENT:  # the consent the case has (not withdrawn): refused
            return RecordConsent, {"consent": draw(st.sampled_from([SIGNED, VERBAL]))}
        case Action.WITHDRAW_CONSENT:  # a second withdrawal: refused
            return WithdrawConsent, {"withdrawn_by": "李奶奶", "relation": "grandmother",
                                     "note": draw(st.sampled_from([None, "moved to another city"]))}
    raise AssertionError(action)


def applies(rule: FollowUpRule, case: Case) -> bool:
    """Whether a rule's task should be open for the case as it is now (the test's oracle)."""
    holds = {
        "mentor_present": case.mentor_id is not None,
        "mentor_absent": case.mentor_id is None,
        "risk_high": case.risk_level is RiskLevel.HIGH,
        "risk_normal": case.risk_level is RiskLevel.NORMAL,
    }
    return case.state in rule.active_in and all(holds[c] for c in rule.when)
