"""A case's hand-over: what a leaving teacher holds on it passes to successors in one step.

One command records every change of the hand-over — another head teacher, another
counselling teacher, the mentor released and the successor paired — and the tasks
follow their new holders (the policy reassigns them), so a case is never half handed over.
"""

from __future__ import annotations

from domain.case_events import CounsellingTeacherAssigned, HeadTeacherAssigned, MentorPaired, MentorReleased
from domain.case_follow_ups import FollowUpCommands
from domain.errors import InvalidCommand
from domain.policy import WorkflowPolicy
from domain.values import Action, AssigneeRole, CommandContext, valid_id

#: What each role held on a case needs to be allowed in the case's state.
_ACTION_OF = {
    AssigneeRole.HEAD_TEACHER: Action.ASSIGN_HEAD_TEACHER,
    AssigneeRole.COUNSELLING_TEACHER: Action.ASSIGN_HEAD_TEACHER,
    AssigneeRole.MENTOR: Action.PAIR_MENTOR,
}


class HandOverCommands(FollowUpCommands):
    """The hand-over of a case (see :class:`domain.case.Case`)."""

    def roles_of(self, teacher_id: str) -> tuple[AssigneeRole, ...]:
        """What ``teacher_id`` holds on this case: head teacher, mentor, counselling teacher."""
        held = (
            (AssigneeRole.HEAD_TEACHER, self.head_teacher_id),
            (AssigneeRole.MENTOR, self.mentor_id),
            (AssigneeRole.COUNSELLING_TEACHER, self.counselling_teacher_id),
        )
        return tuple(role for role, holder in held if holder == teacher_id)

    def hand_over(
        self,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        leaving: str,
        successors: dict[AssigneeRole, str],
    ) -> None:
        """Hand every role ``leaving`` holds on the case to its successor in ``successors``.

        Refused, recording nothing, if they hold nothing here, if a role they hold has no
        successor (or the successor is the leaving teacher), or if the case's state allows
        no such change (a closed case).
        """
        roles = self.roles_of(leaving)
        if not roles:
            raise InvalidCommand(f"{leaving} holds nothing on case {self.id}")
        missing = [r.value for r in roles if not successors.get(r) or successors[r] == leaving]
        if missing:
            raise InvalidCommand(
                f"case {self.id}: {leaving} is its {' and '.join(missing)}: name a successor"
            )
        to = {role: valid_id(f"{role.value} successor", successors[role]) for role in roles}
        start, before = self._begin(policy, ctx, _ACTION_OF[roles[0]])
        for role in roles[1:]:
            self._check_allowed(policy, before, _ACTION_OF[role])
        if AssigneeRole.HEAD_TEACHER in to:
            self._trigger(ctx, HeadTeacherAssigned, teacher_id=to[AssigneeRole.HEAD_TEACHER])
        if AssigneeRole.COUNSELLING_TEACHER in to:
            self._trigger(
                ctx, CounsellingTeacherAssigned, teacher_id=to[AssigneeRole.COUNSELLING_TEACHER]
            )
        if AssigneeRole.MENTOR in to:
            mentor = to[AssigneeRole.MENTOR]
            self._trigger(ctx, MentorReleased, mentor_id=leaving,
                          reason=f"handed over to {mentor}", state=before)
            self._trigger(ctx, MentorPaired, mentor_id=mentor,
                          state=policy.next_state(before, Action.PAIR_MENTOR))
        self._decide_follow_ups(policy, ctx, start, before)
