"""Who may be named head teacher or mentor of a school's case, from the accounts.

Until a school's roster is kept, the rule is: an active teacher attached to the case's
school. The case application asks through ``workflows.assignees.Assignees``.
"""

from __future__ import annotations

from adapters.driven.auth.models import UserRole
from adapters.driven.auth.port import AuthStore
from domain.values import AssigneeRole

#: The roles that may take each assignment.
TAKES: dict[AssigneeRole, frozenset[UserRole]] = {
    AssigneeRole.HEAD_TEACHER: frozenset({UserRole.TEACHER}),
    AssigneeRole.MENTOR: frozenset({UserRole.TEACHER}),
    AssigneeRole.COUNSELLING_TEACHER: frozenset({UserRole.TEACHER}),
}


class AccountAssignees:
    """The ``Assignees`` port over the auth store's users."""

    def __init__(self, store: AuthStore) -> None:
        self.store = store

    def may_take(self, user_id: str, school_id: str, assignment: AssigneeRole) -> bool:
        """Whether the user exists, is not disabled, belongs to the school and holds a role
        that takes this assignment."""
        user = self.store.get_user(user_id)
        return (
            user is not None and user.disabled_at is None and school_id in user.schools
            and user.role in TAKES.get(assignment, frozenset())
        )
