"""A step's form, made from its command: the fields a person fills, and back to the command.

A form is the command's own fields (``workflows.commands``), as the API's bodies are:
booleans become yes/no, enumerations a choice of their translated names, long text a
text area, the time a local date and time that defaults to now. Parsing builds the very
command the API would; a refusal of its validation marks the fields and keeps what was
typed. Nested details (``Guardian``, ``Parents``) are fields named ``guardian.name``...
"""

from __future__ import annotations

import enum
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ValidationError

from adapters.driving.web.names import CHOICES, N_
from workflows.commands import CaseCommand

#: What the form does not show: the envelope the page fills in itself.
HIDDEN = frozenset({"case_id", "command_id", "expected_version"})
#: How each field is asked for.
LABELS: dict[str, str] = {
    "occurred_at": N_("When did it happen?"),
    "guardian_met": N_("Did you meet the guardian?"),
    "observations": N_("What did you see?"),
    "teacher_id": N_("Teacher (user name)"),
    "reason": N_("Reason"),
    "summary": N_("Summary"),
    "risk_level": N_("Risk level"),
    "outcome": N_("Outcome"),
    "party": N_("With whom"),
    "channel": N_("How"),
    "text": N_("Note"),
    "note": N_("Note"),
    "level": N_("Risk level"),
    "follow_up_id": N_("Task"),
    "class_name": N_("Class"),
    "guardian.name": N_("Guardian's name"),
    "guardian.relation": N_("Relation to the child"),
    "guardian.phone": N_("Guardian's phone"),
    "parents.away": N_("Parents away"),
    "parents.work_place": N_("Where they work"),
    "parents.phone": N_("Parents' phone"),
    "consent.given_by": N_("Who gave consent"),
    "consent.relation": N_("Relation to the child"),
    "consent.method": N_("How consent was given"),
    "consent.form_number": N_("Number of the signed form"),
    "consent.witness": N_("Witness of a verbal consent"),
    "consent.given_on": N_("Date consent was given"),
    "withdrawn_by": N_("Who withdrew consent"),
    "relation": N_("Relation to the child"),
}
#: The types of a moment (a command's times are aware).
TIMES: tuple[Any, ...] = (datetime, AwareDatetime)
#: Fields written at length.
LONG = frozenset({"observations", "summary", "text", "note"})


@dataclass
class Field:
    """One field of a form as a template shows it."""

    name: str
    label: str
    widget: str  # text, textarea, yesno, choice, datetime, date
    required: bool
    value: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


def fields_of(command: type[CaseCommand], given: dict[str, str], errors: dict[str, str]) -> list[Field]:
    """The fields of ``command``'s form, filled with ``given`` and marked with ``errors``."""
    found: list[Field] = []
    for name, info in command.model_fields.items():
        if name in HIDDEN:
            continue
        annotation = _inner(info.annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for sub, sub_info in annotation.model_fields.items():
                dotted = f"{name}.{sub}"
                found.append(_field(dotted, sub_info.annotation, sub_info.is_required() and
                                    info.is_required(), given, errors))
            continue
        found.append(_field(name, info.annotation, info.is_required(), given, errors))
    return found


def _field(name: str, annotation: Any, required: bool, given: dict[str, str],
           errors: dict[str, str]) -> Field:
    kind = _inner(annotation)
    label = LABELS.get(name, name)
    value = given.get(name, "")
    if kind is bool:
        return Field(name, label, "yesno", required, value, [("true", N_("Yes")), ("false", N_("No"))],
                     errors.get(name))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        options = [(m.value, CHOICES.get(m.value, m.value)) for m in kind]
        return Field(name, label, "choice", required, value, options, errors.get(name))
    if kind in TIMES:
        return Field(name, label, "datetime", required, value, error=errors.get(name))
    if kind is date:
        return Field(name, label, "date", required, value, error=errors.get(name))
    widget = "textarea" if name.split(".")[-1] in LONG else "text"
    return Field(name, label, widget, required, value, error=errors.get(name))


def _inner(annotation: Any) -> Any:
    """``X`` of ``X | None`` and of ``Annotated[X, ...]``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def parse(command: type[CaseCommand], form: dict[str, str], *, case_id: UUID, command_id: UUID,
          expected_version: int | None, tz: ZoneInfo) -> tuple[CaseCommand | None, dict[str, str]]:
    """The command the form states, or None and the fields' problems (message ids)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, info in command.model_fields.items():
        if name in HIDDEN:
            continue
        nested = _inner(info.annotation)
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            parts = {sub: form.get(f"{name}.{sub}", "").strip() for sub in nested.model_fields}
            if any(parts.values()):
                values[name] = {k: v for k, v in parts.items() if v}
            continue
        text = form.get(name, "").strip()
        if not text:
            continue
        if _inner(info.annotation) in TIMES:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                errors[name] = N_("Give a date and a time.")
                continue
            values[name] = moment if moment.tzinfo else moment.replace(tzinfo=tz)
        elif _inner(info.annotation) is bool:
            if text not in ("true", "false"):
                errors[name] = N_("Please choose one.")
                continue
            values[name] = text == "true"
        else:
            values[name] = text
    if errors:
        return None, errors
    try:
        return command(case_id=case_id, command_id=command_id, expected_version=expected_version,
                       **values), {}
    except ValidationError as e:
        for problem in e.errors():
            where = ".".join(str(p) for p in problem.get("loc", ()) if isinstance(p, str))
            # A field left empty that the other answers make necessary (a signed form's number).
            kind = "missing" if where and not form.get(where, "").strip() else problem.get("type", "")
            errors.setdefault(where or "_", _message(kind))
        return None, errors


def _message(kind: str) -> str:
    """A person's words for a validation problem (the field is marked beside it)."""
    if kind == "missing":
        return N_("Please fill this in.")
    if kind in ("string_too_long",):
        return N_("This is too long.")
    if kind in ("enum", "literal_error", "bool_parsing", "bool_type"):
        return N_("Please choose one.")
    return N_("This is not valid.")
