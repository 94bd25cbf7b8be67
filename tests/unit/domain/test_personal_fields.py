"""Every text or model field of every stored event is classified: personal or skeleton.

A new event field holding what a teacher types must be marked ``PERSONAL`` (it is then
sealed under the case key and erased with it); one the engine reads must be named in
``domain.personal.SKELETON``. An unclassified one fails here.
"""

from __future__ import annotations

import types
import typing
from datetime import date
from typing import Any, Union

from pydantic import BaseModel

from domain.base import AggregateSnapshot, DomainEvent
from domain.case import Case
from domain.case_record import CaseState
from domain.mentor import Mentor
from domain.personal import ERASED, SKELETON, erased, is_personal, model_in, personal_paths
from domain.values import Child, FollowUp, Guardian, Parents, ParentsAway

EVENTS = [v for v in vars(Case).values() if isinstance(v, type) and issubclass(v, DomainEvent)]
EVENTS += [v for v in vars(Mentor).values() if isinstance(v, type) and issubclass(v, DomainEvent)]


def _holds_text_or_model(annotation: Any) -> bool:
    """str (not an enum), a date of a person, or a model, possibly optional."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return any(_holds_text_or_model(a) for a in typing.get_args(annotation))
    if typing.get_origin(annotation) is typing.Annotated:
        return _holds_text_or_model(typing.get_args(annotation)[0])
    if annotation is str or annotation is date:
        return True
    if typing.get_origin(annotation) is dict:
        return any(_holds_text_or_model(a) for a in typing.get_args(annotation))
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _unclassified(model: type[BaseModel], seen: set[type[BaseModel]]) -> list[str]:
    missing = []
    seen.add(model)
    for name, field in model.model_fields.items():
        if is_personal(field) or not _holds_text_or_model(field.annotation):
            continue
        qualified = f"{model.__name__}.{name}"
        if name not in SKELETON and qualified not in SKELETON:
            missing.append(qualified)
        inner = model_in(field.annotation)
        if inner is not None and inner not in seen:
            missing += _unclassified(inner, seen)
    return missing


def test_every_text_and_model_field_of_every_event_is_personal_or_skeleton() -> None:
    assert len(EVENTS) > 20
    missing = sorted({m for event in EVENTS for m in _unclassified(event, set())})
    assert missing == [], f"mark PERSONAL or add to domain.personal.SKELETON: {missing}"


def test_the_free_text_and_the_family_are_personal_and_the_skeleton_is_not() -> None:
    identified = {".".join(p) for p in personal_paths(Case.Identified)}
    assert {"student_no", "child.name", "child.birth_date", "guardian.name", "guardian.phone",
            "parents.phone", "parents.work_place"} <= identified
    assert "school_id" not in identified
    assert "child.class_name" not in identified
    for event, field in [(Case.NoteAdded, "text"), (Case.HomeVisited, "observations"),
                         (Case.Reviewed, "summary"), (Case.ContactLogged, "summary"),
                         (Case.CounsellingHeld, "summary"), (Case.Closed, "note"),
                         (Case.Reopened, "reason"), (Case.FollowUpCompleted, "note")]:
        assert (field,) in personal_paths(event), event
    snapshot = {".".join(p) for p in personal_paths(Case.Snapshot)}
    assert {"state.child.name", "state.guardian.phone", "state.student_no"} <= snapshot
    assert personal_paths(Case.FollowUpScheduled) == ()
    assert personal_paths(FollowUp) == ()
    assert issubclass(Case.Snapshot, AggregateSnapshot)
    assert CaseState.model_fields["child"]


def test_each_personal_value_has_an_erased_form_that_is_still_valid() -> None:
    child = erased(Child(name="王小明", gender="male", birth_date=date(2016, 3, 1), class_name="三年级2班"))
    assert child == Child(name=ERASED, class_name="三年级2班")
    assert erased(Guardian(name="李奶奶", relation="grandmother", phone="13800000000")) == Guardian(
        name=ERASED, relation=ERASED)
    parents = erased(Parents(away=ParentsAway.BOTH, work_place="广东东莞", phone="13900000000"))
    assert parents == Parents(away=ParentsAway.BOTH)
