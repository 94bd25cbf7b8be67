"""The workflow definition file format, validated by pydantic, and its loader.

A definition is data: states, which action is allowed where and where it leads,
follow-up rules, the escalation ladder and risk modifiers. ``docs/workflows.md``
describes every field.
"""

from __future__ import annotations

import re
import tomllib
from collections import deque
from collections.abc import Iterator
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter, ValidationError

from domain.case import Case
from domain.values import Action, AssigneeRole, RiskLevel, WorkflowRef

IDENT = r"^[a-z][a-z0-9_]*$"
Condition = Literal["mentor_present", "mentor_absent", "risk_high", "risk_normal"]

#: Case events a rule may name, by class name.
CASE_EVENTS: dict[str, type[BaseModel]] = {
    name: value
    for name, value in vars(Case).items()
    if isinstance(value, type) and issubclass(value, Case.Event) and value is not Case.Event
}


#: The longest offset, interval or escalation delay a definition may give (ten years):
#: anything longer is a typing mistake, and dates computed from it could leave the calendar.
MAX_DAYS = 3650
#: The shortest interval of a recurring task: a smaller one would fall due again at once.
MIN_RECUR_DAYS = 1 / 24


def _is_day_of_year(month_day: str) -> bool:
    month, day = (int(part) for part in month_day.split("-"))
    try:
        date(2024, month, day)  # a leap year: 02-29 is a day of some years
    except ValueError:
        return False
    return True


class DefinitionError(ValueError):
    """Raised when a definition file is invalid; lists every problem with its place."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class EventMatch(BaseModel):
    """Matches a case event by name, and optionally by field values (a value or a list)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    event: str

    @property
    def where(self) -> dict[str, Any]:
        """The field conditions besides the event name."""
        return dict(self.model_extra or {})

    def matches(self, event: BaseModel) -> bool:
        """True if ``event`` is of the named type and every field condition holds."""
        if type(event).__name__ != self.event:
            return False
        for name, wanted in (self.model_extra or {}).items():
            value = getattr(event, name)
            value = getattr(value, "value", value)
            if isinstance(wanted, list):
                if value not in wanted:
                    return False
            elif value != wanted:
                return False
        return True

    def __str__(self) -> str:
        conditions = ", ".join(f"{k}={v}" for k, v in self.where.items())
        return f"{self.event}({conditions})" if conditions else self.event


class Transition(_Model):
    """An action allowed from some states; it leads to ``to``, or stays if ``to`` is absent."""

    action: Action
    from_: list[str] = Field(alias="from", min_length=1)
    to: str | None = None


class FollowUpRule(_Model):
    """When to open a follow-up task, for whom, due when, and what closes it."""

    id: str = Field(pattern=IDENT)
    kind: str = Field(pattern=IDENT)
    on_enter: list[str] = []
    on_event: list[EventMatch] = []
    due_days: float | None = None
    due_at_next_term: bool = False
    #: Due at the end of the N-th school day of the autumn term (the school year's start).
    due_autumn_school_days: int | None = Field(default=None, ge=1, le=60)
    assignee: AssigneeRole
    completed_by: list[EventMatch] = []
    recur_every_days: float | None = None
    active_in: list[str] = Field(min_length=1)
    when: list[Condition] = []
    scale_with_risk: bool = True


class EscalationLevel(_Model):
    """Overdue by ``after_days`` days: escalate to ``to``."""

    level: int = Field(ge=1)
    after_days: int = Field(ge=0, le=MAX_DAYS)
    to: AssigneeRole


class RiskModifier(_Model):
    """How a risk level changes due offsets and intervals."""

    due_factor: float = Field(gt=0, le=10)


class Modifiers(_Model):
    """Adjustments to the rules by case facts."""

    risk: dict[RiskLevel, RiskModifier] = {}


class Calendar(_Model):
    """The school calendar: when terms start (month-day, local time)."""

    term_starts: list[str] = Field(min_length=1)


class Definition(_Model):
    """One version of a workflow."""

    name: str = Field(pattern=IDENT)
    version: StrictInt = Field(ge=1)
    title: str = ""
    timezone: str = "Asia/Shanghai"
    states: list[str] = Field(min_length=1)
    initial: str
    final: list[str] = []
    calendar: Calendar | None = None
    transitions: list[Transition] = Field(min_length=1)
    follow_ups: list[FollowUpRule] = []
    escalation: list[EscalationLevel] = []
    modifiers: Modifiers = Modifiers()

    @property
    def ref(self) -> WorkflowRef:
        """The name and version, as cases pin them."""
        return WorkflowRef(name=self.name, version=self.version)

    @cached_property
    def tz(self) -> ZoneInfo:
        """The time zone of the school calendar."""
        return ZoneInfo(self.timezone)


def load_definition(path: Path) -> Definition:
    """Read and validate one definition file; raise :class:`DefinitionError` on any problem."""
    source = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise DefinitionError(source, [f"cannot read: {e}"]) from None
    except tomllib.TOMLDecodeError as e:
        raise DefinitionError(source, [f"not valid TOML: {e}"]) from None
    except RecursionError:
        raise DefinitionError(source, ["not valid TOML: nested too deeply"]) from None
    definition = parse_definition(raw, source)
    expected = f"{definition.name}.v{definition.version}.toml"
    if path.name != expected:
        raise DefinitionError(source, [f"file name must be {expected} for its name and version"])
    return definition


def parse_definition(raw: dict[str, Any], source: str = "<definition>") -> Definition:
    """Validate a parsed definition; raise :class:`DefinitionError` listing every problem."""
    try:
        definition = Definition.model_validate(raw)
    except ValidationError as e:
        raise DefinitionError(source, [_describe(err, raw) for err in e.errors()]) from None
    problems = list(_check(definition))
    if problems:
        raise DefinitionError(source, problems)
    return definition


def _describe(err: Any, raw: dict[str, Any]) -> str:
    loc = list(err["loc"])
    where = _place(loc, raw)
    return f"{where}: {err['msg']}"


def _place(loc: list[Any], raw: dict[str, Any]) -> str:
    """'follow_ups[2] (id=counselling).due_days' from a pydantic location."""
    parts: list[str] = []
    node: Any = raw
    for key in loc:
        if isinstance(key, int):
            parts[-1] += f"[{key}]"
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if isinstance(node, dict) and "id" in node:
                parts[-1] += f" (id={node['id']})"
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def _check(d: Definition) -> Iterator[str]:
    """Semantic checks that need the whole definition, in the order their messages are listed."""
    yield from _check_states(d)
    yield from _check_transitions(d)
    yield from _check_follow_ups(d)
    yield from _check_escalation(d)


def _unknown(d: Definition, where: str, names: list[str]) -> Iterator[str]:
    states = set(d.states)
    for name in names:
        if name not in states:
            yield f"{where} names unknown state '{name}' (known: {', '.join(d.states)})"


def _check_states(d: Definition) -> Iterator[str]:
    """The state list, the initial and final states, the time zone and the calendar."""
    if len(set(d.states)) != len(d.states):
        yield "states are listed twice"
    yield from _unknown(d, "initial", [d.initial])
    yield from _unknown(d, "final", d.final)
    if d.timezone:
        try:
            ZoneInfo(d.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            yield f"timezone '{d.timezone}' is unknown"
    if d.calendar:
        for day in d.calendar.term_starts:
            if not re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])", day):
                yield f"calendar.term_starts: '{day}' is not MM-DD"
            elif not _is_day_of_year(day):
                yield f"calendar.term_starts: '{day}' is no day of the year"


def _check_transitions(d: Definition) -> Iterator[str]:
    """Transitions name known states, define each (action, state) once, and reach every state."""
    seen: dict[tuple[str, str], int] = {}
    for i, t in enumerate(d.transitions):
        where = f"transitions[{i}] ({t.action.value})"
        yield from _unknown(d, where, t.from_ + ([t.to] if t.to else []))
        for state in t.from_:
            if (t.action.value, state) in seen:
                yield (
                    f"{where}: duplicate rule: {t.action.value} from '{state}' is already "
                    f"defined by transitions[{seen[t.action.value, state]}]"
                )
            seen[t.action.value, state] = i

    reachable = _reachable(d)
    for state in d.states:
        if state not in reachable:
            yield f"state '{state}' is unreachable from initial state '{d.initial}'"


def _check_follow_ups(d: Definition) -> Iterator[str]:
    """Every follow-up rule: a unique id, then its states, timing and conditions."""
    rule_ids: dict[str, int] = {}
    for i, rule in enumerate(d.follow_ups):
        where = f"follow_ups[{i}] (id={rule.id})"
        if rule.id in rule_ids:
            yield f"{where}: duplicate rule id, also follow_ups[{rule_ids[rule.id]}]"
        rule_ids[rule.id] = i
        yield from _check_rule_states(d, where, rule)
        yield from _check_rule_timing(d, where, rule)
        yield from _check_rule_conditions(where, rule)


def _check_rule_states(d: Definition, where: str, rule: FollowUpRule) -> Iterator[str]:
    """A rule's states are known, it can be scheduled, and it is not cancelled as it opens."""
    yield from _unknown(d, f"{where}: on_enter", rule.on_enter)
    yield from _unknown(d, f"{where}: active_in", rule.active_in)
    if not rule.on_enter and not rule.on_event:
        yield f"{where}: needs on_enter or on_event (it would never be scheduled)"
    for state in rule.on_enter:
        if state not in rule.active_in:
            yield f"{where}: on_enter state '{state}' is not in active_in (cancelled at once)"


def _check_rule_timing(d: Definition, where: str, rule: FollowUpRule) -> Iterator[str]:
    """A rule's due date and recurrence are given once and within bounds."""
    given = [rule.due_days is not None, rule.due_at_next_term, rule.due_autumn_school_days is not None]
    if given.count(True) != 1:
        yield f"{where}: give exactly one of due_days, due_at_next_term or due_autumn_school_days"
    if rule.due_autumn_school_days is not None and not (
        d.calendar and any(int(md[:2]) >= 7 for md in d.calendar.term_starts)
    ):
        yield f"{where}: due_autumn_school_days needs a [calendar] with an autumn term start"
    if rule.due_days is not None and rule.due_days < 0:
        yield f"{where}: negative offset: due_days is {rule.due_days}"
    elif rule.due_days is not None and not rule.due_days <= MAX_DAYS:  # NaN too
        yield f"{where}: due_days must be at most {MAX_DAYS}, got {rule.due_days}"
    if rule.due_at_next_term and d.calendar is None:
        yield f"{where}: due_at_next_term needs a [calendar] with term_starts"
    if rule.recur_every_days is not None and not MIN_RECUR_DAYS <= rule.recur_every_days <= MAX_DAYS:
        yield (f"{where}: recur_every_days must be from 1/24 (an hour) to {MAX_DAYS}, "
               f"got {rule.recur_every_days}")
    if rule.recur_every_days is not None and not rule.completed_by:
        yield f"{where}: a recurring rule needs completed_by"


def _check_rule_conditions(where: str, rule: FollowUpRule) -> Iterator[str]:
    """A rule's assignee, its when-conditions and the events it matches are consistent."""
    if rule.assignee is AssigneeRole.MENTOR and "mentor_present" not in rule.when:
        yield f"{where}: assignee 'mentor' needs when = ['mentor_present']"
    if {"mentor_present", "mentor_absent"} <= set(rule.when) or {
        "risk_high",
        "risk_normal",
    } <= set(rule.when):
        yield f"{where}: when has contradictory conditions {rule.when}"
    for field, matches in (("on_event", rule.on_event), ("completed_by", rule.completed_by)):
        for j, match in enumerate(matches):
            yield from _check_match(f"{where}: {field}[{j}]", match)


def _check_escalation(d: Definition) -> Iterator[str]:
    """Escalation levels count 1, 2, 3... and their delays strictly increase."""
    levels = [e.level for e in d.escalation]
    if levels != list(range(1, len(levels) + 1)):
        yield f"escalation: levels must be 1, 2, 3... in order, got {levels}"
    days = [e.after_days for e in d.escalation]
    if days != sorted(set(days)):
        yield f"escalation: after_days must strictly increase, got {days}"


def _check_match(where: str, match: EventMatch) -> Iterator[str]:
    event_cls = CASE_EVENTS.get(match.event)
    if event_cls is None:
        yield f"{where}: unknown event '{match.event}' (known: {', '.join(sorted(CASE_EVENTS))})"
        return
    for name, wanted in match.where.items():
        field = event_cls.model_fields.get(name)
        if field is None:
            yield f"{where}: event {match.event} has no field '{name}'"
            continue
        adapter: TypeAdapter[Any] = TypeAdapter(field.annotation or Any)
        for value in wanted if isinstance(wanted, list) else [wanted]:
            try:
                adapter.validate_python(value)
            except ValidationError:
                yield f"{where}: {value!r} is not a valid {match.event}.{name}"


def _reachable(d: Definition) -> set[str]:
    edges: dict[str, set[str]] = {}
    for t in d.transitions:
        for state in t.from_:
            edges.setdefault(state, set()).add(t.to or state)
    seen = {d.initial}
    queue = deque([d.initial])
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen
