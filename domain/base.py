"""Pydantic events on eventsourcing's aggregate machinery, and typed snapshots."""

from __future__ import annotations

from typing import Any, ClassVar, Self
from uuid import UUID

from eventsourcing.domain import (
    BaseAggregate,
    CanInitAggregate,
    CanMutateAggregate,
    CanSnapshotAggregate,
)
from eventsourcing.utils import get_topic
from pydantic import AwareDatetime, BaseModel, ConfigDict


class Frozen(BaseModel):
    """An immutable value object that rejects unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class DomainEvent(Frozen):
    """Base of every stored event: an immutable pydantic model.

    ``timestamp`` is when the event was recorded (server time, passed in by the
    application); what the user says happened carries its own ``occurred_at``.
    """

    originator_id: UUID
    originator_version: int
    timestamp: AwareDatetime


class Aggregate(BaseAggregate[UUID]):
    """Base of caretrail's aggregates: ids are always given, never random.

    An aggregate's attributes are immutable values (str, int, UUID, datetime, enums,
    frozen pydantic models) or flat dicts, lists and sets of such values. That contract
    lets :meth:`__deepcopy__` copy only the containers.
    """

    @classmethod
    def start(cls, event_class: type[Aggregate.Created], **fields: Any) -> Self:
        """A new aggregate from its first event, pending until saved.

        The library's own way, through its public parts: the created event's ``mutate``
        builds the aggregate, which keeps the event among its pending events.
        """
        event = event_class(
            originator_topic=get_topic(cls), originator_version=cls.INITIAL_VERSION, **fields
        )
        aggregate = event.mutate(None)
        assert isinstance(aggregate, cls)
        aggregate.pending_events.append(event)
        return aggregate

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """An independent copy: containers are copied, the immutable values in them shared.

        The application's aggregate cache deep-copies the aggregate on every read so a
        command cannot corrupt the cached one; the generic deep copy also copied every
        frozen model and UUID of every follow-up and command id, and cost more than the
        rest of a command (docs/performance.md). Mutations reach an aggregate only through
        its attributes and containers, which this copies.
        """
        clone = object.__new__(type(self))
        for name, value in vars(self).items():
            if isinstance(value, dict | list | set):
                value = type(value)(value)
            clone.__dict__[name] = value
        memo[id(self)] = clone
        return clone

    class Event(DomainEvent, CanMutateAggregate[UUID]):
        """Base event of an aggregate."""

    class Created(Event, CanInitAggregate[UUID]):
        """Base event that creates an aggregate."""

        originator_topic: str


class SnapshotState(Frozen):
    """The typed state of an aggregate kept in a snapshot (subclass per aggregate)."""

    created_on: AwareDatetime
    modified_on: AwareDatetime


class AggregateSnapshot(DomainEvent, CanSnapshotAggregate[UUID]):
    """A snapshot whose ``state`` is a typed model, so it round-trips through JSON.

    Subclasses narrow ``state`` to their own :class:`SnapshotState` subclass; the
    aggregate's attributes of the same names (without a leading underscore) are copied.
    """

    topic: str
    state: SnapshotState

    _state_type: ClassVar[type[SnapshotState]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        state_type = cls.model_fields["state"].annotation
        assert isinstance(state_type, type)
        assert issubclass(state_type, SnapshotState)
        cls._state_type = state_type

    @classmethod
    def take(cls, aggregate: Any) -> Self:
        """Capture the aggregate's current state."""
        fields = cls._state_type.model_fields
        values = {name: getattr(aggregate, name) for name in fields}
        return cls(
            originator_id=aggregate.id,
            originator_version=aggregate.version,
            # The snapshot describes the aggregate as last modified: no clock needed.
            timestamp=aggregate.modified_on,
            topic=get_topic(type(aggregate)),
            state=cls._state_type.model_validate(values),
        )

    def mutate(self, _: None) -> Any:
        """Rebuild the aggregate object from the snapshot.

        The object is made as the library makes every aggregate, by a created event's
        ``mutate`` (id, version and creation time); the snapshot then sets the rest.
        """
        shell = Aggregate.Created(
            originator_id=self.originator_id,
            originator_version=self.originator_version,
            timestamp=self.state.created_on,
            originator_topic=self.topic,
        )
        aggregate = shell.mutate(None)
        assert aggregate is not None
        aggregate.modified_on = self.state.modified_on
        for name in type(self.state).model_fields:
            if name in ("created_on", "modified_on"):
                continue
            value = getattr(self.state, name)
            # Containers are copied: the snapshot stays immutable, the aggregate mutates.
            if isinstance(value, dict | list | set):
                value = type(value)(value)
            setattr(aggregate, name, value)
        return aggregate
