"""The commands of a case about its follow-up tasks, and the recording of the policy's
decisions as events (every step ends with :meth:`FollowUpCommands._decide_follow_ups`)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from pydantic import BaseModel

from domain.case_record import ONE_DAY, CaseRecord
from domain.errors import FollowUpNotOpen, InvalidCommand
from domain.follow_up_events import (
    FollowUpCancelled,
    FollowUpCompleted,
    FollowUpEscalated,
    FollowUpReassigned,
    FollowUpScheduled,
)
from domain.ids import follow_up_id_for
from domain.policy import Cancel, Complete, Reassign, Schedule, WorkflowPolicy
from domain.values import Action, CommandContext, valid_text


class FollowUpCommands(CaseRecord):
    """A case's commands on its tasks (see :class:`domain.case.Case`)."""

    def complete_follow_up(
        self,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        follow_up_id: UUID,
        note: str | None = None,
    ) -> None:
        """Mark an open task done by hand (its assignee did it outside the usual steps)."""
        start, before = self._begin(policy, ctx, Action.COMPLETE_FOLLOW_UP)
        task = self.follow_ups.get(follow_up_id)
        if task is None or not task.is_open:
            raise FollowUpNotOpen(self.id, follow_up_id, task.status if task else None)
        self._trigger(
            ctx, FollowUpCompleted, follow_up_id=follow_up_id, completed_by="hand",
            note=valid_text("note", note),
        )
        self._decide_follow_ups(policy, ctx, start, before)

    def escalate_follow_up(
        self, policy: WorkflowPolicy, ctx: CommandContext, *, follow_up_id: UUID, level: int
    ) -> bool:
        """Escalate an overdue task to ``level`` if it still deserves it.

        Re-checks everything against the case itself (the caller read a view that may
        lag): records nothing, and returns False, if the task is closed, already at that
        level or above, or not yet overdue enough at ``ctx.recorded_at``.
        """
        self._check_command_new(ctx)
        if self.erased:
            return False  # an erased case takes no steps, the scheduler's neither
        task = self.follow_ups.get(follow_up_id)
        if task is None:
            raise FollowUpNotOpen(self.id, follow_up_id, None)
        step = next((s for s in policy.escalation_ladder() if s.level == level), None)
        if step is None:
            raise InvalidCommand(f"workflow {self.workflow} has no escalation level {level}")
        days_overdue = (ctx.recorded_at - task.due_at) // ONE_DAY
        if not task.is_open or task.escalation_level >= level or days_overdue < step.after_days:
            return False
        self._trigger(
            ctx,
            FollowUpEscalated,
            follow_up_id=follow_up_id,
            level=level,
            to_role=step.to,
            days_overdue=days_overdue,
        )
        return True

    def _decide_follow_ups(
        self, policy: WorkflowPolicy, ctx: CommandContext, start: int, before: str | None
    ) -> None:
        """Turn the policy's decisions about this command's events into follow-up events."""
        own: Sequence[BaseModel] = self.pending_events[start:]  # type: ignore[assignment]
        entered = self.state if self.state != before else None
        for decision in policy.decide_follow_ups(self, entered, own, ctx.occurred_at):
            match decision:
                case Schedule():
                    sequence = self.rule_counts.get(decision.rule_id, 0) + 1
                    self._trigger(
                        ctx,
                        FollowUpScheduled,
                        follow_up_id=follow_up_id_for(self.id, decision.rule_id, sequence),
                        sequence=sequence,
                        **decision.model_dump(),
                    )
                case Complete():
                    self._trigger(ctx, FollowUpCompleted, **decision.model_dump())
                case Cancel():
                    self._trigger(ctx, FollowUpCancelled, **decision.model_dump())
                case Reassign():
                    self._trigger(ctx, FollowUpReassigned, **decision.model_dump())

