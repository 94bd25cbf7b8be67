"""Stores pydantic events as JSON, a case's personal fields sealed under its own key, the
whole (optionally compressed) then encrypted under the master key.

eventsourcing 9.5.6's default mapper rebuilds events without validation and its
JSON transcoder knows no enums or nested models; this one lets pydantic do both.

A case event's personal fields (``domain.personal``: marked ``PERSONAL``) are stored in
their erased form in the JSON body; their values follow the body, after a newline (which
compact JSON never holds): JSON encrypted with AES-GCM under the case's key
(``adapters.driven.keys``). Reading validates the body (pydantic's own JSON parser) and
puts the values back while the key exists; once it is destroyed the event reads as its
body says, erased: still a valid event, so replay, views and audits go on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel, TypeAdapter

from adapters.driven.keys.ring import KeyRing, seal, unseal
from domain.personal import personal_paths, split_personal

#: Between the JSON body and the sealed personal values.
SEALED_AFTER = b"\n"
ERASED_TOPIC = "domain.case:Case.Erased"


class PydanticMapper(Mapper[UUID]):
    """Maps frozen pydantic events to stored events and back, with upcasting.

    The whole event, ids included, is the JSON body: an auditor reading the store sees
    complete, self-describing records (personal values sealed). A class with
    ``class_version`` N > 1 stores it in the body and provides ``upcast_vK_vK+1(data)``
    static methods for older records. ``keys`` (set by the composition root): the case
    keys; None stores personal fields in the clear (encryption off).
    """

    keys: KeyRing | None = None
    #: Called with a case id whenever an ``Erased`` event is read (every process's views
    #: read it): what the process holds decrypted of that case is dropped.
    erased_listeners: tuple[Callable[[UUID], None], ...] = ()

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        """Serialise one event."""
        event: BaseModel = domain_event
        cls = type(event)
        class_version = getattr(cls, "class_version", 1)
        paths = personal_paths(cls) if self.keys is not None else ()
        sealed = b""
        if class_version == 1 and not (paths and _any_value(event, paths)):
            state = event.model_dump_json().encode()
        else:
            data = event.model_dump(mode="json")
            if paths:
                sealed = self._sealed(cls, domain_event.originator_id, data)
            if class_version != 1:
                data["class_version"] = class_version
            state = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        if sealed:
            state += SEALED_AFTER + sealed
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(cls),
            state=state,
        )

    def _sealed(self, cls: type[BaseModel], case_id: UUID, data: dict[str, Any]) -> bytes:
        """Erase the personal values in ``data``; return them sealed (b"": none, or the
        case is erased and its data gone)."""
        assert self.keys is not None
        personal = split_personal(cls, data)
        cipher = self.keys.cipher(case_id, create=True)
        if cipher is None or not personal:
            return b""
        plain = json.dumps(personal, ensure_ascii=False, separators=(",", ":")).encode()
        return seal(cipher, case_id, plain)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """Deserialise one event, upcasting old versions of its class."""
        cls: type[BaseModel] = resolve_topic(stored_event.topic)
        try:
            state = stored_event.state
            if self.cipher:
                state = self.cipher.decrypt(state)
            if self.compressor:
                state = self.compressor.decompress(state)
            if stored_event.topic == ERASED_TOPIC:  # perhaps erased by another process
                for listener in self.erased_listeners:
                    listener(stored_event.originator_id)
            body, _, sealed = state.partition(SEALED_AFTER)
            event = self._body(cls, body)
            return self._unsealed(event, stored_event.originator_id, sealed) if sealed else event
        except Exception as e:
            msg = (
                f"cannot read stored event {stored_event.originator_id} "
                f"v{stored_event.originator_version} ({stored_event.topic}): {e}"
            )
            raise MapperDeserialisationError(msg) from e

    @staticmethod
    def _body(cls: type[BaseModel], body: bytes) -> BaseModel:
        class_version = getattr(cls, "class_version", 1)
        if class_version == 1:
            return cls.model_validate_json(body)
        data = json.loads(body)
        version = data.pop("class_version", 1)
        while version < class_version:
            getattr(cls, f"upcast_v{version}_v{version + 1}")(data)
            version += 1
        return cls.model_validate(data)

    def _unsealed(self, event: BaseModel, case_id: UUID, sealed: bytes) -> BaseModel:
        """The event with its sealed personal values back, if the case key still exists."""
        cipher = self.keys.cipher(case_id) if self.keys is not None else None
        if cipher is None:
            return event  # erased (or no key here): the body's erased forms stand
        personal = json.loads(unseal(cipher, case_id, sealed))
        return _restored(event, {tuple(k.split(".")): v for k, v in personal.items()})


def _restored(model: BaseModel, values: dict[tuple[str, ...], Any]) -> BaseModel:
    """``model`` with the values at these paths (JSON forms, validated to their fields'
    types: a birth date comes back a date)."""
    update: dict[str, Any] = {}
    nested: dict[str, dict[tuple[str, ...], Any]] = {}
    for path, value in values.items():
        if len(path) == 1:
            update[path[0]] = _adapter(type(model), path[0]).validate_python(value)
        else:
            nested.setdefault(path[0], {})[path[1:]] = value
    for name, inner_values in nested.items():
        inner = getattr(model, name)
        if inner is not None:
            update[name] = _restored(inner, inner_values)
    return model.model_copy(update=update)


@cache
def _adapter(cls: type[BaseModel], name: str) -> TypeAdapter[Any]:
    field = cls.model_fields[name]
    return TypeAdapter(field.annotation)


def _any_value(event: Any, paths: tuple[tuple[str, ...], ...]) -> bool:
    """Whether any personal field of the event holds a value (most hold none: fast path)."""
    for path in paths:
        value = event
        for part in path:
            value = getattr(value, part, None)
            if value is None:
                break
        if value is not None:
            return True
    return False
