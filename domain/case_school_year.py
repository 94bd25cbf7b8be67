"""A case at a new school year: the child moves up a class, once per year.

The roll-over of a school (``workflows.rollover``) moves each continuing child up with
:meth:`SchoolYearCommands.move_up`; graduates are closed as any case is. A case moving up
also moves to the newest version of its workflow when that version can take it over, so
every continuing case gets the rules of the year (the start-of-year re-check).
"""

from __future__ import annotations

from domain.case_events import ClassMovedUp, WorkflowUpgraded
from domain.case_hand_over import HandOverCommands
from domain.errors import InvalidCommand
from domain.policy import WorkflowPolicy
from domain.values import Action, CommandContext, valid_text


class SchoolYearCommands(HandOverCommands):
    """The school year's step of a case (see :class:`domain.case.Case`)."""

    def move_up(
        self,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        school_year: int,
        class_name: str,
        newest: WorkflowPolicy | None = None,
    ) -> None:
        """The child starts ``school_year`` in ``class_name``; refused if the case already
        rolled over into this year or a later one. With ``newest`` (the newest version of
        the case's workflow), the case follows it from now on if it can."""
        deciding = newest if newest is not None and self._may_follow(newest) else policy
        start, before = self._begin(policy, ctx, Action.AMEND_DETAILS, allowed_by=deciding)
        class_name = valid_text("class_name", class_name, short=True) or ""
        if self.school_year is not None and school_year <= self.school_year:
            raise InvalidCommand(f"case {self.id} is already in school year {self.school_year}")
        if deciding is not policy:
            self._trigger(ctx, WorkflowUpgraded, to_workflow=deciding.ref)
        self._trigger(ctx, ClassMovedUp, school_year=school_year, from_class=self.child.class_name,
                      class_name=class_name)
        self._decide_follow_ups(deciding, ctx, start, before)

    def _may_follow(self, newer: WorkflowPolicy) -> bool:
        ref = newer.ref
        return (
            ref.name == self.workflow.name and ref.version > self.workflow.version
            and newer.can_take_over(self.state, [t.rule_id for t in self.open_tasks.values()])
        )
