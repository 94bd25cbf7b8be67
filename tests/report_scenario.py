"""A term at two schools with counts known by hand, for the reports' tests.

The clock starts on 1 September 2026 (the autumn term's first day), 01:00 UTC. At school
``s1``: 小明 (三年级2班, high risk) is visited on the 5th (on time), paired on the 6th,
counselled on the 10th, his guardian called on the 12th and a parent on the 13th; 小红
(四年级1班) is visited late on the 20th (due the 15th) and her mentor pairing, due the 27th,
is escalated on 5 October; 小刚 (三年级2班) is closed on 3 October. At ``s2``: 小兰, opened
and nothing since. The report is made on 10 October.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.values import Actor, Child, ClosureReason, ContactParty, RiskLevel, Role
from tests.conftest import TEACHER, identify
from tests.fakes import FakeClock
from workflows.commands import (
    CloseCase,
    EscalateFollowUp,
    LogContact,
    PairMentor,
    RecordCounselling,
    RecordHomeVisit,
)
from workflows.services import SYSTEM_ACTOR, CaseService

SUPERVISOR = Actor(user_id="sup-1", role=Role.SUPERVISOR)
COUNSELLOR = Actor(user_id="t-counsel", role=Role.TEACHER)
#: When the report is made.
NOW = datetime(2026, 10, 10, 4, tzinfo=UTC)
NAMES = ("王小明", "李小红", "张小刚", "赵小兰")


def _at(day: int, month: int = 9) -> datetime:
    return datetime(2026, month, day, 2, tzinfo=UTC)


def build(cases: CaseService, clock: FakeClock, schools: tuple[str, str] = ("s1", "s2"),
          heads: tuple[str, str] = ("t-head", "t-head"), mentor: str = "t-m1") -> dict[str, Any]:
    """Record the term at ``schools`` (head teachers ``heads``, one each); return the case
    ids by child's name."""
    clock.set(datetime(2026, 9, 1, 1, tzinfo=UTC))
    one = {"school_id": schools[0], "head_teacher_id": heads[0]}
    ming = identify(cases, clock, 1, child=Child(name=NAMES[0], class_name="三年级2班"),
                    risk_level=RiskLevel.HIGH, **one).case_id
    hong = identify(cases, clock, 2, child=Child(name=NAMES[1], class_name="四年级1班"), **one).case_id
    gang = identify(cases, clock, 3, child=Child(name=NAMES[2], class_name="三年级2班"), **one).case_id
    lan = identify(cases, clock, 4, school_id=schools[1], head_teacher_id=heads[1],
                   child=Child(name=NAMES[3], class_name="一年级1班")).case_id
    steps: list[tuple[datetime, Any, Actor]] = [
        (_at(5), RecordHomeVisit(case_id=ming, guardian_met=True), TEACHER),
        (_at(6), PairMentor(case_id=ming, teacher_id=mentor), SUPERVISOR),
        (_at(10), RecordCounselling(case_id=ming), COUNSELLOR),
        (_at(12), LogContact(case_id=ming, party=ContactParty.GUARDIAN), TEACHER),
        (_at(13), LogContact(case_id=ming, party=ContactParty.PARENT), TEACHER),
        (_at(20), RecordHomeVisit(case_id=hong, guardian_met=False), TEACHER),
        (_at(3, 10), CloseCase(case_id=gang, reason=ClosureReason.LEFT_SCHOOL), SUPERVISOR),
    ]
    for at, command, actor in steps:
        clock.set(at)
        cases.handle(command.model_copy(update={"occurred_at": at}), actor)
    clock.set(_at(5, 10))
    pairing = next(t for t in cases.get_case(hong).open_follow_ups if t.kind == "mentor_pairing")
    cases.handle(EscalateFollowUp.of(hong, pairing.follow_up_id, 1), SYSTEM_ACTOR)
    clock.set(NOW)
    return {"ming": ming, "hong": hong, "gang": gang, "lan": lan}
