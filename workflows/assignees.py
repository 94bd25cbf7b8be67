"""The port the case application asks whether a person may take an assignment on a case.

Who works at which school is kept outside the event log (the accounts); the application
asks this port before it records a head teacher or a mentor, so a case never names
someone of another school or nobody at all.
"""

from __future__ import annotations

from typing import Protocol

from domain.values import AssigneeRole


class Assignees(Protocol):
    """Who may be named on a case of a school."""

    def may_take(self, user_id: str, school_id: str, assignment: AssigneeRole) -> bool:
        """Whether ``user_id`` may be the ``assignment`` (head teacher, mentor) of a case of
        ``school_id``: an active person of that school whose role takes such work."""
        ...
