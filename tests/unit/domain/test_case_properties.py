"""Any sequence of commands, legal or not, retried or not, keeps the case's promises.

A hypothesis state machine drives several cases and a few mentors (capacity 2, so the
cap is hit) through random commands, with acts stated now, slightly ahead, too far ahead
or before the case, and retries of earlier command ids. After every step it checks:

- a refused command changed nothing (cases, mentors, store position);
- a retried command recorded nothing and answered with its first version;
- each aggregate rebuilt from the store, with and without snapshots, equals the live one;
- open follow-ups have due dates; no task is both open and closed; one open task per kind;
- recurring chains have no gaps: while a recurring rule applies, a task of its kind is open;
- no mentor is over capacity, and mentors and cases agree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from hypothesis import HealthCheck, settings
from hypothesis import event as tally
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from pydantic import ValidationError

from adapters.bootstrap import case_service
from adapters.driven.events.environment import memory_env
from adapters.settings import Settings
from domain.case import Case
from domain.errors import DomainError, MentorAtCapacity
from domain.ids import mentor_id_for
from domain.mentor import Mentor
from domain.values import Action, Actor, FollowUpStatus, RiskLevel, Role
from tests.conftest import identify
from tests.fakes import FakeClock
from tests.unit.domain.case_steps import ACTIONS, FORWARD, MENTORS, WHEN, applies, draw_step
from tests.unit.domain.journeys import aggregate_state
from workflows.commands import EscalateFollowUp, RecordHomeVisit
from workflows.registry import Registry
from workflows.services import SYSTEM_ACTOR, CommandResult

REGISTRY = Registry.load()
WORKFLOW = REGISTRY.latest("left_behind")
CAPACITY = 2
SNAPSHOT_EVERY = 5
ACTOR = Actor(user_id="t-any", role=Role.TEACHER)

Run = Callable[[UUID, datetime, UUID], CommandResult]


class CaseMachine(RuleBasedStateMachine):
    """Random commands against one case service; every step checks the promises."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        env = {
            **memory_env(),
            # The cache holds the very aggregate each command saved: the "live" one.
            "AGGREGATE_CACHE_MAXSIZE": "100",
            "AGGREGATE_CACHE_FASTFORWARD": "n",
        }
        self.service = case_service(
            Settings(mentor_capacity=CAPACITY, snapshot_interval=SNAPSHOT_EVERY), env,
            registry=REGISTRY, clock=self.clock,
        )
        self.case_ids: list[UUID] = []
        self.done: list[tuple[Run, UUID, datetime, UUID, CommandResult]] = []

    def teardown(self) -> None:
        self.service.close()

    # ------------------------------------------------------------------ rules
    @initialize(visited=st.integers(0, 3))
    def three_children_identified(self, visited: int) -> None:
        """Start with three cases, some already visited, so runs reach pairing quickly."""
        for n in (1, 2, 3):
            case_id = identify(self.service, self.clock, n).case_id
            self.case_ids.append(case_id)
            if n <= visited:
                self.service.handle(
                    RecordHomeVisit(case_id=case_id, occurred_at=self.clock(), guardian_met=True), ACTOR
                )

    @rule(n=st.integers(1, 5), risk=st.sampled_from(list(RiskLevel)), when=WHEN)
    def identify_a_child(self, n: int, risk: RiskLevel, when: timedelta) -> None:
        at = self.clock() + when
        command_id = uuid4()

        def run(_: UUID, at: datetime, command_id: UUID) -> CommandResult:
            return identify(self.service, self.clock, n, risk_level=risk, occurred_at=at,  # type: ignore[no-any-return]
                            command_id=command_id)

        result = self._attempt(run, None, at, command_id)
        if result is not None and result.case_id not in self.case_ids:
            self.case_ids.append(result.case_id)

    @precondition(lambda self: self.case_ids)
    @rule(data=st.data(), action=ACTIONS, when=WHEN)
    def take_a_step(self, data: st.DataObject, action: Action, when: timedelta) -> None:
        case_id = data.draw(st.sampled_from(self.case_ids))
        run = self._command(data, action, self.service.get_case(case_id))
        command_id = uuid4()
        if self._attempt(run, case_id, self.clock() + when, command_id) is not None:
            self._check_recurring_chains(case_id, command_id)

    @precondition(lambda self: self.case_ids)
    @rule(data=st.data())
    def move_a_case_forward(self, data: st.DataObject) -> None:
        """The usual next step, now: without it random runs rarely get past pairing."""
        case = self.service.get_case(data.draw(st.sampled_from(self.case_ids)))
        action = data.draw(st.sampled_from(FORWARD[case.state]))
        command_id = uuid4()
        if self._attempt(self._command(data, action, case), case.id, self.clock(), command_id):
            tally(f"moved {action} -> {self.service.get_case(case.id).state}")
            self._check_recurring_chains(case.id, command_id)

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def retry_an_earlier_command(self, data: st.DataObject) -> None:
        run, case_id, at, command_id, first = data.draw(st.sampled_from(self.done))
        before = self._everything()
        again = run(case_id, at, command_id)
        assert again.replayed
        assert (again.case_id, again.version, again.state) == (first.case_id, first.version, first.state)
        assert self._everything() == before
        tally("retried")

    @precondition(lambda self: self.case_ids)
    @rule(data=st.data(), level=st.sampled_from([1, 2]))
    def escalate_a_task(self, data: st.DataObject, level: int) -> None:
        case = self.service.get_case(data.draw(st.sampled_from(self.case_ids)))
        if not case.follow_ups:
            return
        task = data.draw(st.sampled_from(sorted(case.follow_ups.values(), key=lambda t: t.follow_up_id)))
        step = WORKFLOW.escalation_ladder()[level - 1]
        deserved = (
            task.is_open
            and task.escalation_level < level
            and (self.clock() - task.due_at) >= timedelta(days=step.after_days)
        )
        result = self.service.handle(EscalateFollowUp.of(case.id, task.follow_up_id, level), SYSTEM_ACTOR)
        after = self.service.get_case(case.id).follow_ups[task.follow_up_id]
        assert (result.events == ("FollowUpEscalated",)) == deserved
        if deserved:
            assert after.escalation_level == level
            tally("escalated")

    @rule(days=st.integers(0, 40), hours=st.integers(0, 23))
    def time_passes(self, days: int, hours: int) -> None:
        self.clock.advance(days=days, hours=hours)

    # ------------------------------------------------------------- invariants
    @invariant()
    def rebuilt_aggregates_equal_the_live_ones(self) -> None:
        ids = [*self.case_ids, *(mentor_id_for(self.service.id_namespace, m) for m in MENTORS)]
        for aggregate_id in ids:
            try:
                live = self.service.repository.get(aggregate_id)
            except AggregateNotFoundError:
                continue
            from_events = None
            for event in self.service.events.get(aggregate_id):
                from_events = event.mutate(from_events)  # type: ignore[attr-defined]
            with_snapshot = self.service.repository.get(aggregate_id, version=live.version)
            assert aggregate_state(from_events) == aggregate_state(live)
            assert aggregate_state(with_snapshot) == aggregate_state(live)
            assert self.service.snapshots is not None
            snapshots = list(self.service.snapshots.get(aggregate_id))
            versions = [s.originator_version for s in snapshots]
            # A save that crosses a multiple of the interval snapshots its last version.
            assert versions == sorted(set(versions))
            if live.version < SNAPSHOT_EVERY:
                assert versions == []
            else:
                assert versions[-1] // SNAPSHOT_EVERY == live.version // SNAPSHOT_EVERY
            if snapshots:
                folded = None
                for event in self.service.events.get(aggregate_id, lte=versions[-1]):
                    folded = event.mutate(folded)  # type: ignore[attr-defined]
                assert aggregate_state(snapshots[-1].mutate(None)) == aggregate_state(folded)
                if versions[-1] < live.version:
                    tally("rebuilt from a snapshot and later events")

    @invariant()
    def follow_ups_are_consistent(self) -> None:
        for case_id in self.case_ids:
            case = self.service.get_case(case_id)
            # The open-task index, kept current event by event, matches a fresh derivation.
            assert case.open_tasks == {k: t for k, t in case.follow_ups.items() if t.is_open}
            closings: dict[UUID, list[str]] = {}
            for event in self.service.history(case_id):
                if isinstance(event, Case.FollowUpCompleted | Case.FollowUpCancelled):
                    closings.setdefault(event.follow_up_id, []).append(type(event).__name__)
                if isinstance(event, Case.FollowUpEscalated | Case.FollowUpReassigned):
                    assert event.follow_up_id not in closings, "changed a closed task"
            for task in case.follow_ups.values():
                closed_by = closings.get(task.follow_up_id, [])
                assert len(closed_by) <= 1, f"{task.follow_up_id} closed twice: {closed_by}"
                expected = {
                    (): FollowUpStatus.OPEN,
                    ("FollowUpCompleted",): FollowUpStatus.DONE,
                    ("FollowUpCancelled",): FollowUpStatus.CANCELLED,
                }[tuple(closed_by)]
                assert task.status is expected
                assert (task.closed_at is None) == task.is_open
            open_tasks = case.open_follow_ups
            assert all(t.due_at.tzinfo is not None and t.due_at >= t.scheduled_at for t in open_tasks)
            kinds = [t.kind for t in open_tasks]
            assert len(kinds) == len(set(kinds)), f"two open tasks of one kind: {kinds}"
            if case.state == "closed":
                # Only a supervisor's erasure decision (after a withdrawal of consent, v3)
                # outlives the closing: the one rule active in a closed case.
                assert [t.kind for t in open_tasks] in ([], ["erasure_decision"])
            for rule_id, count in case.rule_counts.items():
                sequences = sorted(t.sequence for t in case.follow_ups.values() if t.rule_id == rule_id)
                assert sequences == list(range(1, count + 1)), f"{rule_id}: {sequences}"

    @invariant()
    def a_recurring_rule_that_applies_has_a_task_of_its_kind_open(self) -> None:
        """No gap in a chain, whatever closed the last task (a step, a hand, a risk change)."""
        for case_id in self.case_ids:
            case = self.service.get_case(case_id)
            open_kinds = {t.kind for t in case.open_follow_ups}
            for recurring in WORKFLOW.definition.follow_ups:
                if recurring.recur_every_days and applies(recurring, case):
                    assert recurring.kind in open_kinds, (
                        f"{recurring.id} applies to a {case.state} case ({case.risk_level} risk) "
                        f"but no {recurring.kind} task is open"
                    )

    @invariant()
    def no_mentor_is_over_capacity(self) -> None:
        mentor_of = {c: self.service.get_case(c).mentor_id for c in self.case_ids}
        for teacher_id in MENTORS:
            mentor = self.service.get_mentor(teacher_id)
            children = mentor.children if isinstance(mentor, Mentor) else []
            assert len(children) <= CAPACITY
            assert len(set(children)) == len(children)
            assert set(children) == {c for c, m in mentor_of.items() if m == teacher_id}

    # -------------------------------------------------------------- helpers
    def _attempt(
        self, run: Run, case_id: UUID | None, at: datetime, command_id: UUID
    ) -> CommandResult | None:
        """Run a command; if refused (by the case, or as a command that cannot be built:
        blank text), nothing may have changed. Remember it for retries."""
        before = self._everything()
        refused: DomainError | ValidationError | None = None
        try:
            result = run(case_id or uuid4(), at, command_id)
        except (DomainError, ValidationError) as e:
            refused = e
        if refused is not None:
            tally(f"refused: {type(refused).__name__}")
            assert self._everything() == before
            if isinstance(refused, MentorAtCapacity):
                mentor = self.service.get_mentor(refused.teacher_id)
                assert mentor is not None
                assert len(mentor.children) == CAPACITY
            return None
        tally("accepted")
        assert not result.replayed
        self.done.append((run, result.case_id, at, command_id, result))
        return result

    def _everything(self) -> tuple[Any, ...]:
        cases = {c: aggregate_state(self.service.get_case(c)) for c in self.case_ids}
        mentors = {m: aggregate_state(x) if (x := self.service.get_mentor(m)) else None for m in MENTORS}
        return cases, mentors, self.service.position()

    def _check_recurring_chains(self, case_id: UUID, command_id: UUID) -> None:
        """A recurring task completed by this command has its successor at once, if it applies."""
        case = self.service.get_case(case_id)
        for event in self.service.history(case_id):
            if event.command_id != command_id:
                continue
            if not isinstance(event, Case.FollowUpCompleted):
                continue
            done = case.follow_ups[event.follow_up_id]
            rule = WORKFLOW.rule(done.rule_id)
            if rule.recur_every_days is None or not applies(rule, case):
                continue
            successors = [t for t in case.open_follow_ups if t.kind == rule.kind]
            assert successors, f"recurring {rule.id} completed with no successor"
            tally("recurring task completed")
            if successors[0].rule_id == rule.id:
                assert successors[0].sequence == done.sequence + 1
                assert successors[0].scheduled_at == done.closed_at

    def _command(self, data: st.DataObject, action: Action, case: Case) -> Run:
        """A command for ``action`` with drawn arguments (some of them refusable)."""
        command, fields = draw_step(data.draw, action, case)
        return lambda c, at, i: self.service.handle(
            command(case_id=c, occurred_at=at, command_id=i, **fields), ACTOR
        )


CaseMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_any_sequence_of_commands_keeps_the_cases_promises = CaseMachine.TestCase
