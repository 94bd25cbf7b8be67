"""Stores pydantic events as JSON, a case's personal fields sealed under its own key, the
whole (optionally compressed) then encrypted under the master key.

eventsourcing 9.5.6's default mapper rebuilds events without validation and its
JSON transcoder knows no enums or nested models; this one lets pydantic do both.

A case event's personal fields (``domain.personal``: marked ``PERSONAL``) are stored in
their erased form in the body, and their values in ``sealed``: JSON encrypted with AES-GCM
under the case's key (``adapters.driven.keys``). Reading puts them back while the key
exists; once it is destroyed the event reads as it is stored, erased: still a valid
event, so replay, views and audits go on.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from adapters.driven.keys.ring import KeyRing, seal, unseal
from domain.personal import personal_paths, split_personal

#: The body's member holding the sealed personal values.
SEALED = "sealed"
_SEALED_MEMBER = b'"sealed":'
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
        if class_version == 1 and not (paths and _any_value(event, paths)):
            state = event.model_dump_json().encode()
        else:
            data = event.model_dump(mode="json")
            if paths:
                data = self._sealed(cls, domain_event.originator_id, data, paths)
            if class_version != 1:
                data["class_version"] = class_version
            state = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
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

    def _sealed(
        self, cls: type[BaseModel], case_id: UUID, data: dict[str, Any],
        paths: tuple[tuple[str, ...], ...],
    ) -> dict[str, Any]:
        """The body with personal values erased and, under ``sealed``, encrypted."""
        assert self.keys is not None
        personal = split_personal(cls, data)
        skeleton = data
        cipher = self.keys.cipher(case_id, create=True)
        if cipher is not None and personal:  # None: the case is erased, its data is gone
            plain = json.dumps(personal, ensure_ascii=False, separators=(",", ":")).encode()
            skeleton[SEALED] = base64.b64encode(seal(cipher, case_id, plain)).decode()
        return skeleton

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
            class_version = getattr(cls, "class_version", 1)
            if class_version == 1 and _SEALED_MEMBER not in state:
                return cls.model_validate_json(state)
            data = json.loads(state)
            sealed = data.pop(SEALED, None)
            if sealed is not None:
                self._unsealed(stored_event.originator_id, data, sealed)
            version = data.pop("class_version", 1)
            while version < class_version:
                getattr(cls, f"upcast_v{version}_v{version + 1}")(data)
                version += 1
            return cls.model_validate(data)
        except Exception as e:
            msg = (
                f"cannot read stored event {stored_event.originator_id} "
                f"v{stored_event.originator_version} ({stored_event.topic}): {e}"
            )
            raise MapperDeserialisationError(msg) from e

    def _unsealed(self, case_id: UUID, data: dict[str, Any], sealed: str) -> None:
        """Put the sealed personal values back, if the case key still exists."""
        cipher = self.keys.cipher(case_id) if self.keys is not None else None
        if cipher is None:
            return  # erased (or no key here): the body's erased forms stand
        personal = json.loads(unseal(cipher, case_id, base64.b64decode(sealed)))
        for dotted, value in personal.items():
            *parents, name = dotted.split(".")
            target = data
            for part in parents:
                target = target[part]
            target[name] = value


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
