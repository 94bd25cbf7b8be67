"""Erasing a case: the command, then what the rest of caretrail held of the child.

Every interface (API, CLI, pages, later the retention sweep) calls :func:`erase_case`.
``CaseService.handle(EraseCase)`` records ``Case.Erased`` (no personal data), destroys
the case key and drops the case from the application's memory (its decoded events, its
child, the cached aggregate). Then this purges what lies beside the events: the
notification outbox's unsent escalations and the API's kept responses; and it reports
what was removed. The views hold no personal column (``docs/privacy.md``): nothing to
purge there, and a rebuild reads the erased events. Snapshots hold the personal fields
sealed under the destroyed key: shredded with it.
"""

from __future__ import annotations

from typing import Any

from adapters.bootstrap import Caretrail, build_outbox
from domain.values import Actor
from workflows.commands import EraseCase


def erase_case(
    caretrail: Caretrail, command: EraseCase, actor: Actor, *, accounts: Any = None
) -> dict[str, Any]:
    """Erase the case (refusals as any command's: ``AlreadyErased``, ``CaseNotFound``...)
    and report what was removed, as JSON-ready values."""
    cases = caretrail.cases
    result = cases.handle(command, actor)
    case_id = str(command.case_id)
    row = cases.mapper.keys.store.get(command.case_id) if cases.mapper.keys else None
    snapshots = len(list(cases.snapshots.get(command.case_id))) if cases.snapshots else 0
    outbox = build_outbox(caretrail)
    try:
        outbox.setup()
        unsent = outbox.forget_case(case_id)
    finally:
        outbox.close()
    responses = accounts.store.forget_responses(case_id) if accounts is not None else 0
    return {
        "case_id": case_id,
        "reason": command.reason.value,
        "version": result.version,
        "position": result.position,
        "replayed": result.replayed,
        "case_key_destroyed": row is not None and row.wrapped is None,
        "snapshots_shredded": snapshots,
        "outbox_entries_removed": unsent,
        "kept_responses_removed": responses,
        "view_rows_purged": 0,
        "caches_cleared": ["history", "child", "aggregate", "case key"],
    }
