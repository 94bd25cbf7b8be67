"""A deterministic synthetic county: schools of the source practice, a school year of history.

One school (from ``../shared/domain/left-behind-children.md``): ~1,000 pupils, ~15% left
behind (~150 cases), ~70 teachers, 30 classes. Every case goes through home visits,
pairing, counselling, reviews and regular contacts; some teachers are late and some
steps are never done, so the overdue lists have something to show. The same seed and
end date always give the same store. Shared with the benchmarks in ``bench/``.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.errors import DomainError
from domain.values import (
    Actor,
    Child,
    ContactChannel,
    ContactParty,
    Guardian,
    Parents,
    ParentsAway,
    ReviewOutcome,
    RiskLevel,
    Role,
)
from workflows.commands import (
    IdentifyChild,
    LogContact,
    PairMentor,
    RecordCounselling,
    RecordHomeVisit,
    ReviewCase,
)
from workflows.services import CaseService

SHANGHAI = ZoneInfo("Asia/Shanghai")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "明华丽强军平静敏磊洋勇艳杰娟涛超秀霞刚桂英芳玉兰"
RELATIONS = ["grandmother", "grandfather", "aunt", "uncle"]
WORK_PLACES = ["广东东莞", "浙江宁波", "江苏苏州", "福建厦门", "上海", "北京"]
CLASSES_PER_SCHOOL = 30
TEACHERS_PER_SCHOOL = 70
CASES_PER_SCHOOL = 150


@dataclass(order=True)
class Step:
    """One command of the synthetic history, due at ``at``."""

    at: datetime
    seq: int
    run: Callable[[CaseService, datetime], Any] = field(compare=False)


@dataclass
class DemoSummary:
    """What the generator did."""

    schools: int = 0
    cases: int = 0
    commands: int = 0
    refused: int = 0
    refusals: dict[str, int] = field(default_factory=dict)
    users: dict[str, list[str]] = field(default_factory=dict)


def school_ids(schools: int) -> list[str]:
    """The ids of the generated schools."""
    return [f"school-{n:03d}" for n in range(1, schools + 1)]


def staff(school_id: str) -> dict[str, Any]:
    """The generated staff of a school: head teachers, mentors, counsellors, supervisor."""
    teachers = [f"{school_id}-t{n:02d}" for n in range(1, TEACHERS_PER_SCHOOL + 1)]
    return {
        "teachers": teachers,
        "head_teachers": teachers[:CLASSES_PER_SCHOOL],
        "counsellors": teachers[CLASSES_PER_SCHOOL : CLASSES_PER_SCHOOL + 2],
        "mentors": teachers[CLASSES_PER_SCHOOL + 2 :] + teachers[:CLASSES_PER_SCHOOL],
        "supervisor": f"{school_id}-supervisor",
    }


def generate(
    service: CaseService,
    set_clock: Callable[[datetime], None],
    *,
    seed: int = 7,
    schools: int = 1,
    until: datetime,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Write the synthetic history through the use cases, moving the clock as it goes.

    ``set_clock`` moves the service's clock (a fake clock the caller owns): events are
    recorded a few minutes after they occurred, as a teacher would enter them.
    """
    rng = random.Random(seed)
    start = until - timedelta(days=365)
    summary = DemoSummary(schools=schools)
    queue: list[Step] = []
    counter = iter(range(10**12))
    for school_id in school_ids(schools):
        people = staff(school_id)
        summary.users[school_id] = [people["supervisor"], *people["teachers"]]
        for n in range(CASES_PER_SCHOOL):
            plan = _CasePlan(rng, school_id, n, people, start, until)
            summary.cases += 1
            for at, run in plan.steps():
                heapq.heappush(queue, Step(at, next(counter), run))
    now = start
    while queue:
        step = heapq.heappop(queue)
        # Recorded time never runs backwards, even when a step occurred a little earlier.
        now = max(now, step.at + timedelta(minutes=3))
        set_clock(now)
        try:
            follow = step.run(service, step.at)
        except DomainError as e:
            summary.refused += 1
            summary.refusals[type(e).__name__] = summary.refusals.get(type(e).__name__, 0) + 1
            follow = None
        summary.commands += 1
        if follow:  # plans that depend on earlier results push their next steps
            for at, run in follow:
                if at <= until:
                    heapq.heappush(queue, Step(at, next(counter), run))
        if progress is not None:
            progress(1)
    return summary


class _CasePlan:
    """The story of one child's case, as timed steps."""

    def __init__(
        self,
        rng: random.Random,
        school_id: str,
        n: int,
        people: dict[str, Any],
        start: datetime,
        until: datetime,
    ) -> None:
        self.rng = random.Random(rng.random())
        self.school_id = school_id
        self.student_no = f"{2020 + n % 6}{n:04d}"
        self.head_teacher = people["head_teachers"][n % CLASSES_PER_SCHOOL]
        self.mentor = people["mentors"][n % len(people["mentors"])]
        self.counsellor = people["counsellors"][n % 2]
        self.supervisor = people["supervisor"]
        self.class_name = f"{n % 6 + 1}年级{n % 5 + 1}班"
        self.until = until
        self.case_id: UUID | None = None
        # Most cases open at the start of the autumn term; some during the year.
        offset = self.rng.uniform(0, 20) if self.rng.random() < 0.8 else self.rng.uniform(20, 250)
        self.opened = _school_hours(start + timedelta(days=offset), self.rng)
        self.high_risk = self.rng.random() < 0.12
        self.diligence = self.rng.random()  # how punctual this case's teachers are

    def _actor(self, user_id: str, role: Role = Role.TEACHER) -> Actor:
        return Actor(user_id=user_id, role=role)

    def _later(self, at: datetime, low: float, high: float) -> datetime:
        # Diligent teachers act early in the window; others late or past due.
        stretch = 1.0 if self.diligence > 0.25 else 1.8
        return _school_hours(at + timedelta(days=self.rng.uniform(low, high * stretch)), self.rng)

    def steps(self) -> Iterator[tuple[datetime, Callable[[CaseService, datetime], Any]]]:
        yield self.opened, self._identify

    def _identify(self, service: CaseService, at: datetime) -> list[Any]:
        rng = self.rng
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2])))
        result = service.handle(IdentifyChild(
            school_id=self.school_id,
            student_no=self.student_no,
            child=Child(name=name, class_name=self.class_name,
                        gender=rng.choice(["female", "male"])),
            guardian=Guardian(name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                              relation=rng.choice(RELATIONS),
                              phone=f"1{rng.randint(3, 9)}{rng.randint(0, 10**9 - 1):09d}"),
            parents=Parents(away=rng.choice(list(ParentsAway)),
                            work_place=rng.choice(WORK_PLACES)),
            head_teacher_id=self.head_teacher,
            occurred_at=at,
        ), self._actor(self.head_teacher))
        self.case_id = result.case_id
        steps: list[Any] = [
            (self._later(at, 20, 40), self._guardian_contact),
            (self._later(at, 20, 45), self._parent_contact),
        ]
        if rng.random() < 0.93:
            steps.append((self._later(at, 2, 16), self._home_visit))
        return steps

    def _home_visit(self, service: CaseService, at: datetime) -> list[Any]:
        assert self.case_id
        result = service.handle(RecordHomeVisit(
            case_id=self.case_id, occurred_at=at,
            guardian_met=self.rng.random() < 0.8,
            observations="学习习惯有待加强，与祖辈沟通较少。" if self.rng.random() < 0.5 else None,
        ), self._actor(self.head_teacher))
        if result.state == "visited" and self.rng.random() < 0.95:
            return [(self._later(at, 1, 9), self._pair)]
        return []

    def _pair(self, service: CaseService, at: datetime) -> list[Any]:
        assert self.case_id
        service.handle(PairMentor(case_id=self.case_id, occurred_at=at, teacher_id=self.mentor),
                       self._actor(self.supervisor, Role.SUPERVISOR))
        steps: list[Any] = [(self._later(at, 8, 16), self._mentor_talk)]
        if self.rng.random() < 0.92:
            steps.append((self._later(at, 7, 34), self._counsel))
        return steps

    def _counsel(self, service: CaseService, at: datetime) -> list[Any]:
        assert self.case_id
        result = service.handle(RecordCounselling(
            case_id=self.case_id, occurred_at=at, summary="情绪稳定，想念父母。",
            risk_level=RiskLevel.HIGH if self.high_risk else None,
        ), self._actor(self.counsellor))
        steps: list[Any] = []
        if result.state == "counselled":
            steps.append((self._later(at, 10, 32), self._review))
        if self.high_risk:
            steps.append((self._later(at, 7, 15), self._counsel))
        return steps

    def _review(self, service: CaseService, at: datetime) -> list[Any]:
        assert self.case_id
        roll = self.rng.random()
        outcome = (
            ReviewOutcome.CLOSE if roll < 0.06
            else ReviewOutcome.RAISE_RISK if roll < 0.1
            else ReviewOutcome.CONTINUE
        )
        service.handle(ReviewCase(case_id=self.case_id, occurred_at=at, outcome=outcome,
                                  summary="按计划继续跟踪。"),
                       self._actor(self.supervisor, Role.SUPERVISOR))
        if outcome is ReviewOutcome.CLOSE:
            return []
        if outcome is ReviewOutcome.RAISE_RISK:
            self.high_risk = True
        # Next term: a new home visit starts the next cycle.
        return [(self._later(_next_term(at), 0, 14), self._home_visit)]

    def _contact(self, party: ContactParty, every: tuple[float, float]) -> Callable[..., Any]:
        def run(service: CaseService, at: datetime) -> list[Any]:
            assert self.case_id
            who = self.mentor if party is ContactParty.CHILD else self.head_teacher
            try:
                service.handle(LogContact(
                    case_id=self.case_id, occurred_at=at, party=party,
                    channel=ContactChannel.IN_PERSON if party is ContactParty.CHILD
                    else ContactChannel.PHONE,
                ), self._actor(who))
            except DomainError:
                return []  # the case was closed meanwhile
            if self.rng.random() < 0.015:  # a teacher who stops following up
                return []
            return [(self._later(at, *every), run)]
        return run

    def _guardian_contact(self, service: CaseService, at: datetime) -> list[Any]:
        return self._contact(ContactParty.GUARDIAN, (20, 34))(service, at)  # type: ignore[no-any-return]

    def _parent_contact(self, service: CaseService, at: datetime) -> list[Any]:
        return self._contact(ContactParty.PARENT, (20, 36))(service, at)  # type: ignore[no-any-return]

    def _mentor_talk(self, service: CaseService, at: datetime) -> list[Any]:
        return self._contact(ContactParty.CHILD, (8, 15))(service, at)  # type: ignore[no-any-return]


def _next_term(at: datetime) -> datetime:
    """The first day of the next term (1 March or 1 September, Shanghai time)."""
    local = at.astimezone(SHANGHAI)
    starts = [datetime(y, m, 1, tzinfo=SHANGHAI) for y in (local.year, local.year + 1) for m in (3, 9)]
    return next(s for s in starts if s > local)


def _school_hours(moment: datetime, rng: random.Random) -> datetime:
    """The same day, at a plausible local working hour, in UTC."""
    local = moment.astimezone(SHANGHAI)
    hour = rng.randint(8, 17)
    return datetime.combine(local.date(), time(hour, rng.randint(0, 59)), SHANGHAI).astimezone(UTC)

