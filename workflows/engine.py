"""A workflow definition as the case's policy: allowed steps and follow-up decisions.

Pure: (definition, case after the command, the command's events) -> decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel

from domain.policy import (
    Cancel,
    CaseFacts,
    Complete,
    EscalationStep,
    FollowUpDecision,
    Reassign,
    Schedule,
)
from domain.values import Action, AssigneeRole, FollowUp, RiskLevel, WorkflowRef
from workflows.definition import Definition, EventMatch, FollowUpRule
from workflows.school_days import nth_school_day


class Workflow:
    """Implements :class:`domain.policy.WorkflowPolicy` for one definition version."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self._rules = {rule.id: rule for rule in definition.follow_ups}
        self._moves: dict[tuple[str, Action], str] = {}
        self._allowed: dict[str, tuple[Action, ...]] = {s: () for s in definition.states}
        for t in definition.transitions:
            for state in t.from_:
                self._moves[state, t.action] = t.to or state
                self._allowed[state] = (*self._allowed[state], t.action)
        self._ladder = tuple(
            EscalationStep(level=e.level, after_days=e.after_days, to=e.to)
            for e in definition.escalation
        )
        # Per rule, the event names its matchers name: most events match no rule, and a set
        # test says so without looking at the matchers (this runs on every command).
        self._done_by = {r.id: frozenset(m.event for m in r.completed_by) for r in definition.follow_ups}
        self._trigger = {r.id: frozenset(m.event for m in r.on_event) for r in definition.follow_ups}
        # Per kind, its recurring rules in file order: they carry on the kind's chain.
        self._recurring: dict[str, list[FollowUpRule]] = {}
        for r in definition.follow_ups:
            if r.recur_every_days:
                self._recurring.setdefault(r.kind, []).append(r)

    # ------------------------------------------------------------ state machine
    @property
    def ref(self) -> WorkflowRef:
        """Name and version."""
        return self.definition.ref

    @property
    def initial_state(self) -> str:
        """The state a new case starts in."""
        return self.definition.initial

    def allowed_actions(self, state: str) -> tuple[Action, ...]:
        """Actions allowed in ``state``, in definition order."""
        return self._allowed.get(state, ())

    def next_state(self, state: str, action: Action) -> str:
        """Where ``action`` leads from ``state``."""
        return self._moves[state, action]

    def escalation_ladder(self) -> Sequence[EscalationStep]:
        """The escalation steps, lowest level first."""
        return self._ladder

    def can_take_over(self, state: str, rule_ids: Sequence[str]) -> bool:
        """Whether this version knows ``state`` and the rules of the open tasks given."""
        return state in self.definition.states and all(r in self._rules for r in rule_ids)

    def rule(self, rule_id: str) -> FollowUpRule:
        """The follow-up rule with this id."""
        return self._rules[rule_id]

    # ------------------------------------------------------------ follow-ups
    def decide_follow_ups(
        self,
        case: CaseFacts,
        entered: str | None,
        events: Sequence[BaseModel],
        at: datetime,
    ) -> list[FollowUpDecision]:
        """Complete, reschedule, cancel, reassign and schedule tasks after one command.

        Order: tasks fulfilled by the command's events are completed (and the first
        recurring rule of their kind that applies, their own first, schedules the next
        one); open tasks that no longer apply are cancelled, or follow their assignee;
        then rules triggered by the entered state or by the events open new tasks, at
        most one open task per kind.
        """
        decisions: list[FollowUpDecision] = []
        names = {type(e).__name__ for e in events}
        completed = [
            case.follow_ups[e.follow_up_id]  # type: ignore[attr-defined]
            for e in events
            if type(e).__name__ == "FollowUpCompleted"
        ]
        open_kinds: set[str] = set()
        holders = _holders(case)
        # Only open tasks, then sort: a case keeps every closed task it ever had.
        for task in sorted(case.open_tasks.values(), key=_order):
            rule = self._rules[task.rule_id]
            by = None if names.isdisjoint(self._done_by[rule.id]) else _first_match(
                rule.completed_by, events)
            if by is not None:
                decisions.append(Complete(follow_up_id=task.follow_up_id,
                                          completed_by=type(by).__name__))
                completed.append(task)
            elif not self._applies(rule, case):
                decisions.append(Cancel(follow_up_id=task.follow_up_id,
                                        reason=self._why_not(rule, case)))
            else:
                open_kinds.add(rule.kind)
                assignee = holders.get(rule.assignee)
                if assignee != task.assignee_id:
                    decisions.append(Reassign(follow_up_id=task.follow_up_id,
                                              assignee_id=assignee))

        for task in completed:
            rule = self._rules[task.rule_id]
            successor = None if rule.kind in open_kinds else self._successor(rule, case)
            if successor is not None:
                decisions.append(self._schedule(successor, case, at, successor.recur_every_days))
                open_kinds.add(rule.kind)

        for rule in self.definition.follow_ups:
            triggered = (entered is not None and entered in rule.on_enter) or (
                not names.isdisjoint(self._trigger[rule.id])
                and _first_match(rule.on_event, events) is not None
            )
            if triggered and rule.kind not in open_kinds and self._applies(rule, case):
                decisions.append(self._schedule(rule, case, at, rule.due_days))
                open_kinds.add(rule.kind)
        return decisions

    def _successor(self, done: FollowUpRule, case: CaseFacts) -> FollowUpRule | None:
        """The recurring rule that carries on a done task's kind, if one applies now.

        Its own rule first; otherwise the first recurring rule of the same kind. A one-off
        counselling task done for a high-risk child is followed by the 14-day high-risk
        counselling, even when it was marked done by hand (no session event to trigger it).
        """
        candidates: list[FollowUpRule] = [done, *self._recurring.get(done.kind, [])]
        return next(
            (r for r in candidates if r.recur_every_days and self._applies(r, case)), None
        )

    def _applies(self, rule: FollowUpRule, case: CaseFacts) -> bool:
        return case.state in rule.active_in and all(_holds(c, case) for c in rule.when)

    def _why_not(self, rule: FollowUpRule, case: CaseFacts) -> str:
        if case.state not in rule.active_in:
            return f"case is now {case.state}"
        failed = [c for c in rule.when if not _holds(c, case)]
        return f"no longer {', '.join(failed)}"

    def _schedule(
        self, rule: FollowUpRule, case: CaseFacts, at: datetime, days: float | None
    ) -> Schedule:
        if days is None and rule.due_autumn_school_days is not None:
            due_at = self.autumn_school_day_end(at, rule.due_autumn_school_days)
        elif days is None:
            due_at = self.next_term_start(at)
        else:
            factor = 1.0
            modifier = self.definition.modifiers.risk.get(case.risk_level)
            if rule.scale_with_risk and modifier is not None:
                factor = modifier.due_factor
            due_at = at + timedelta(days=days * factor)
        return Schedule(
            rule_id=rule.id,
            kind=rule.kind,
            due_at=due_at.astimezone(UTC),
            assignee_role=rule.assignee,
            assignee_id=_assignee_id(rule.assignee, case),
        )

    def next_term_start(self, at: datetime) -> datetime:
        """Midnight (school time zone) of the first term start after ``at``."""
        calendar = self.definition.calendar
        assert calendar is not None  # checked when the definition was loaded
        tz = self.definition.tz
        today = at.astimezone(tz).date()
        starts = sorted(
            date(year, int(md[:2]), int(md[3:]))
            for year in (today.year, today.year + 1)
            for md in calendar.term_starts
        )
        first = next(d for d in starts if d > today)
        return datetime.combine(first, time(), tzinfo=tz)

    def autumn_school_day_end(self, at: datetime, n: int) -> datetime:
        """Midnight (school time zone) after the ``n``-th school day of the autumn term of
        the school year ``at`` prepares or runs in: this calendar year's autumn term, or
        last year's in January and February (before the spring term starts). Past that day
        already (a late roll-over), the ``n``-th school day from ``at`` on."""
        calendar = self.definition.calendar
        assert calendar is not None  # checked when the definition was loaded
        tz = self.definition.tz
        today = at.astimezone(tz).date()
        spring = min(date(today.year, int(md[:2]), int(md[3:])) for md in calendar.term_starts)
        year = today.year if today >= spring else today.year - 1
        last = nth_school_day(_autumn_start(calendar.term_starts, year), n)
        if last < today:
            last = nth_school_day(today, n)
        return datetime.combine(last + timedelta(days=1), time(), tzinfo=tz)




def _autumn_start(calendar_starts: Sequence[str], year: int) -> date:
    month_day = next(md for md in sorted(calendar_starts) if int(md[:2]) >= 7)
    return date(year, int(month_day[:2]), int(month_day[3:]))


def _first_match(matches: Sequence[EventMatch], events: Sequence[BaseModel]) -> BaseModel | None:
    """The first of ``events`` that one of ``matches`` matches."""
    return next((e for e in events if any(m.matches(e) for m in matches)), None)


def _holders(case: CaseFacts) -> dict[AssigneeRole, str | None]:
    """Who holds each case-specific role now (the others are anyone with the role)."""
    return {
        AssigneeRole.HEAD_TEACHER: case.head_teacher_id,
        AssigneeRole.MENTOR: case.mentor_id,
        AssigneeRole.COUNSELLING_TEACHER: case.counselling_teacher_id,
    }


def _order(task: FollowUp) -> tuple[datetime, int]:
    return task.scheduled_at, task.sequence


def _holds(condition: str, case: CaseFacts) -> bool:
    match condition:
        case "mentor_present":
            return case.mentor_id is not None
        case "mentor_absent":
            return case.mentor_id is None
        case "risk_high":
            return case.risk_level is RiskLevel.HIGH
        case "risk_normal":
            return case.risk_level is RiskLevel.NORMAL
    raise ValueError(condition)


def _assignee_id(role: AssigneeRole, case: CaseFacts) -> str | None:
    """The person who holds ``role`` for this case (None: anyone with the role at the school)."""
    return _holders(case).get(role)
