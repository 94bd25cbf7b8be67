"""Which fields of an event hold personal data, declared where the field is.

A field annotated ``Annotated[..., PERSONAL]`` holds personal data of the child or the
family (a name, a phone, free text a teacher wrote): the event store keeps it encrypted
under the case's own key, and after an erasure it reads as its erased form. Every other
text or model field is the event's skeleton, which the engine reads: ids, states, kinds,
reasons chosen from a list. ``tests/unit/domain/test_personal_fields.py`` fails on an
event field that is neither marked nor named in :data:`SKELETON`, so a new field cannot
be forgotten.

Pure: no keys, no storage. The mapper (``adapters.driven.events.mapper``) does the
encryption; this module only says what is personal and what its erased form is.
"""

from __future__ import annotations

import json
import types
import typing
from functools import cache
from typing import Any, TypeVar, Union

from pydantic import BaseModel

#: What a personal text reads as once its case key is destroyed.
ERASED = "[erased]"


class Personal:
    """The marker of a personal field (use the instance :data:`PERSONAL`)."""

    def __repr__(self) -> str:
        return "PERSONAL"


PERSONAL = Personal()
M = TypeVar("M", bound=BaseModel)

#: Text and model fields of events that are the skeleton, by name or as ``Model.name``
#: (reviewed one by one: none holds what a teacher typed about the child or the family).
SKELETON = frozenset({
    # every event's and snapshot's bookkeeping
    "originator_topic", "actor", "workflow", "topic", "state", "WorkflowRef.name",
    "Actor.user_id",
    # people and places by id
    "school_id", "head_teacher_id", "counselling_teacher_id", "mentor_id", "counsellor_id",
    "teacher_id", "completed_by", "assignee_id",
    # tasks (the engine writes why it cancels one)
    "rule_id", "kind", "follow_ups", "rule_counts", "FollowUpCancelled.reason",
    # what the school organises by: the class (a board filter, a scope), and its moves
    "Child.class_name", "DetailsAmended.class_name", "ClassMovedUp.class_name",
    "ClassMovedUp.from_class", "CaseState.rolled_from", "WorkflowUpgraded.to_workflow",
    # the record of a consent: how and when, the signed form's number (who: personal)
    "Consent.form_number", "Consent.given_on",
    # models whose fields are classified one by one
    "Identified.child", "Identified.guardian", "Identified.parents",
    "DetailsAmended.guardian", "DetailsAmended.parents",
    "CaseState.child", "CaseState.guardian", "CaseState.parents",
    "Identified.consent", "ConsentRecorded.consent", "CaseState.consent",
    "CaseState.consent_withdrawal",
})


def is_personal(field: Any) -> bool:
    """Whether a pydantic field (``FieldInfo``) is marked :data:`PERSONAL`."""
    return any(isinstance(m, Personal) for m in field.metadata)


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds (``Child``, ``Guardian | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = model_in(arg)
            if found is not None:
                return found
    return None


@cache
def personal_paths(model: type[BaseModel]) -> tuple[tuple[str, ...], ...]:
    """The paths of the personal fields of ``model``, nested models included:
    ``(("child", "name"), ("guardian", "phone"), ("observations",))``."""
    paths: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        if is_personal(field):
            paths.append((name,))
            continue
        inner = model_in(field.annotation)
        if inner is not None:
            paths.extend((name, *path) for path in personal_paths(inner))
    return tuple(paths)


def erased_value(model: type[BaseModel], name: str) -> Any:
    """The erased form of ``model``'s personal field ``name``: None where the field may
    be empty, else the text :data:`ERASED`."""
    field = model.model_fields[name]
    if not field.is_required() or _optional(field.annotation):
        return None
    return ERASED


@cache
def erasure_plan(model: type[BaseModel]) -> tuple[tuple[tuple[str, ...], Any], ...]:
    """Each personal path of ``model`` with the erased form of its field."""
    plan = []
    for path in personal_paths(model):
        owner = model
        for part in path[:-1]:
            inner = model_in(owner.model_fields[part].annotation)
            assert inner is not None
            owner = inner
        plan.append((path, erased_value(owner, path[-1])))
    return tuple(plan)


def split_personal(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """Take the personal values out of ``data`` (a model's JSON-like dump), in place:
    each is replaced by its erased form; they are returned by dotted path."""
    taken: dict[str, Any] = {}
    for path, erased_form in erasure_plan(model):
        parent: Any = data
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or parent.get(path[-1]) is None:
            continue
        taken[".".join(path)] = parent[path[-1]]
        parent[path[-1]] = erased_form
    return taken


def erase_data(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` (a model's JSON-like dump) with every personal value replaced by
    its erased form; nested models likewise."""
    out = json.loads(json.dumps(data))
    split_personal(model, out)
    return out  # type: ignore[no-any-return]


def erased(value: M) -> M:
    """A copy of the value object with its personal fields in their erased form."""
    return type(value).model_validate(erase_data(type(value), value.model_dump(mode="json")))


def _optional(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType) and type(None) in (
        typing.get_args(annotation)
    )
