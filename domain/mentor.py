"""The Mentor aggregate: one teacher's mentoring load, capped."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from pydantic import AwareDatetime

from domain.base import Aggregate, AggregateSnapshot, SnapshotState
from domain.errors import MentorAtCapacity
from domain.values import Actor, CommandContext


class MentorState(SnapshotState):
    """Everything a mentor aggregate knows, as kept in a snapshot."""

    teacher_id: str
    children: list[UUID]


class Mentor(Aggregate):
    """A teacher as a mentor: which cases they mentor.

    Saved in the same atomic save as the case being paired, so two concurrent
    pairings of one mentor conflict on this aggregate's version and cannot both
    pass the capacity check.
    """

    if TYPE_CHECKING:
        teacher_id: str
        children: list[UUID]

    class Event(Aggregate.Event):
        """Every mentor event says who acted and when."""

        actor: Actor
        occurred_at: AwareDatetime
        command_id: UUID

    class Registered(Event, Aggregate.Created):
        """A teacher took on mentoring for the first time."""

        teacher_id: str

        def apply(self, mentor: Mentor) -> None:
            mentor.teacher_id = self.teacher_id
            mentor.children = []

    class ChildAssigned(Event):
        """The teacher became the mentor of a case's child."""

        case_id: UUID

        def apply(self, mentor: Mentor) -> None:
            mentor.children.append(self.case_id)

    class ChildReleased(Event):
        """The teacher stopped mentoring a case's child."""

        case_id: UUID

        def apply(self, mentor: Mentor) -> None:
            mentor.children.remove(self.case_id)

    class Snapshot(AggregateSnapshot):
        """A mentor as of one version."""

        state: MentorState

    @classmethod
    def register(cls, ctx: CommandContext, *, mentor_id: UUID, teacher_id: str) -> Self:
        """Start the mentoring record of a teacher."""
        return cls.start(
            cls.Registered,
            originator_id=mentor_id,
            teacher_id=teacher_id,
            **_envelope(ctx),
        )

    def assign(
        self, ctx: CommandContext, *, case_id: UUID, capacity: int,
        counted: Collection[UUID] | None = None,
    ) -> None:
        """Take on a child; refused when the teacher already mentors ``capacity`` children
        (of ``counted``, the children that count against it, when given: those of the
        case's school)."""
        if case_id in self.children:
            return
        load = len(self.children) if counted is None else len(set(counted) & set(self.children))
        if load >= capacity:
            raise MentorAtCapacity(self.teacher_id, capacity)
        self.trigger_event(self.ChildAssigned, case_id=case_id, **_envelope(ctx))

    def release(self, ctx: CommandContext, *, case_id: UUID) -> None:
        """Let a child go (a no-op if the teacher does not mentor them)."""
        if case_id in self.children:
            self.trigger_event(self.ChildReleased, case_id=case_id, **_envelope(ctx))


def _envelope(ctx: CommandContext) -> dict[str, Any]:
    return {
        "timestamp": ctx.recorded_at,
        "actor": ctx.actor,
        "occurred_at": ctx.occurred_at,
        "command_id": ctx.command_id,
    }
