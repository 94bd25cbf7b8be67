"""The guardian's consent on a case: recorded at identification or later, and withdrawn.

A withdrawal records who withdrew and why; the workflow then opens a supervisor's task to
decide on erasure (``erasure_decision``), which consent given again completes.
"""

from __future__ import annotations

from datetime import timedelta

from domain.case_events import ConsentRecorded, ConsentWithdrawn
from domain.case_follow_ups import FollowUpCommands
from domain.errors import InvalidCommand
from domain.policy import WorkflowPolicy
from domain.values import (
    EARLIEST_OCCURRED_AT,
    Action,
    CommandContext,
    Consent,
    valid_text,
)

#: A consent dated "today" in the school's time zone may be tomorrow in UTC.
_DATE_LINE = timedelta(days=1)


class ConsentCommands(FollowUpCommands):
    """A case's commands about consent (see :class:`domain.case.Case`)."""

    def record_consent(self, policy: WorkflowPolicy, ctx: CommandContext, *, consent: Consent) -> None:
        """Record the guardian's consent (the paper form came back, or consent given again)."""
        start, before = self._begin(policy, ctx, Action.RECORD_CONSENT)
        check_consent(consent, ctx)
        if consent == self.consent and self.consent_withdrawal is None:
            raise InvalidCommand(f"case {self.id} already has this consent")
        self._trigger(ctx, ConsentRecorded, consent=consent)
        self._decide_follow_ups(policy, ctx, start, before)

    def withdraw_consent(
        self,
        policy: WorkflowPolicy,
        ctx: CommandContext,
        *,
        withdrawn_by: str,
        relation: str,
        note: str | None = None,
    ) -> None:
        """Record that the guardian withdrew consent (a supervisor then decides on erasure)."""
        start, before = self._begin(policy, ctx, Action.WITHDRAW_CONSENT)
        if self.consent_withdrawal is not None:
            raise InvalidCommand(f"case {self.id}: consent is already withdrawn")
        self._trigger(
            ctx, ConsentWithdrawn,
            withdrawn_by=valid_text("withdrawn_by", withdrawn_by, short=True),
            relation=valid_text("relation", relation, short=True),
            note=valid_text("note", note),
        )
        self._decide_follow_ups(policy, ctx, start, before)


def check_consent(consent: Consent | None, ctx: CommandContext) -> None:
    """A consent is dated between :data:`EARLIEST_OCCURRED_AT` and today."""
    if consent is None:
        return
    latest = (ctx.recorded_at + _DATE_LINE).date()
    if not EARLIEST_OCCURRED_AT.date() <= consent.given_on <= latest:
        raise InvalidCommand(
            f"consent given_on must lie between {EARLIEST_OCCURRED_AT.date().isoformat()} and today"
        )
