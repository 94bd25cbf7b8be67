"""What the commands acting on many cases share: caretrail with assignments guarded, the
views caught up afterwards, a child named for a person reading the report."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from adapters.bootstrap import Caretrail, build_accounts, guard_assignments
from adapters.driving.cli.common import open_caretrail


@contextmanager
def guarded() -> Iterator[Caretrail]:
    """caretrail, refusing assignments to people who may not take them (as ``case`` does)."""
    with open_caretrail() as caretrail:
        accounts = build_accounts(caretrail.settings, caretrail.clock)
        try:
            guard_assignments(caretrail, accounts)
            yield caretrail
        finally:
            accounts.close()


def catch_up(caretrail: Caretrail) -> None:
    """Bring the views up to what was just recorded; a failure is reported, not raised
    (the commands are recorded: failing now would invite a retry)."""
    try:
        caretrail.runner.catch_up()
    except Exception as e:
        if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
            sys.stderr.write("caretrail: the views are busy (another process is writing them); "
                             "they catch up later\n")
        else:
            sys.stderr.write(f"caretrail: recorded, but the views could not catch up "
                             f"({type(e).__name__}); see `caretrail projections status`\n")


def child_line(caretrail: Caretrail, case_id: UUID, class_name: str | None) -> str:
    """``王小明 · 三年级2班 (case …)``: how a report names a child to the operator."""
    _, child = caretrail.cases.child_of(case_id)
    return f"{child.name} · {class_name or '-'} (case {case_id})"
