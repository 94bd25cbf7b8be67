"""``caretrail case access-request``: a guardian's access request, answered in one file.

The same file as ``GET /cases/{id}/access-request`` (``adapters.driving.access_request``),
for a supervisor of the case's school or an admin named by ``--as`` (an account), with a
stated purpose; the answer is written to the access log before anything is read. A file
given by ``--out`` is created readable by its owner only (0600).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated

import typer

from adapters.bootstrap import build_accounts
from adapters.driven.auth.models import AccessEntry, User, UserRole
from adapters.driving.access_request import lines, reads_of, records
from adapters.driving.cli.common import AsOpt, CaseArg, CliError, case_uuid, open_caretrail
from domain.errors import CaseNotFound

RESOURCE = "cli-access-request"


class FileFormat(StrEnum):
    """What the answer is written as."""

    JSONL = "jsonl"
    CSV = "csv"


def access_request(
    case_id: CaseArg,
    purpose: Annotated[str, typer.Option(help="Why: the guardian's request (kept in the access log).")],
    format: Annotated[FileFormat, typer.Option("--format", help="jsonl or csv.")] = FileFormat.JSONL,
    out: Annotated[str | None, typer.Option("--out", help="Write to this file (mode 0600), "
                                                          "not to standard output.")] = None,
    user: AsOpt = "operator",
) -> None:
    """Answer a guardian's access request: the child's data, and who read it and why."""
    if not purpose.strip():
        raise CliError("--purpose: say why (the guardian's request), it is kept in the access log")
    cid = case_uuid(case_id)
    with open_caretrail() as caretrail:
        school = caretrail.cases.school_of(cid)
        if school is None:
            raise CaseNotFound(cid)
        accounts = build_accounts(caretrail.settings, caretrail.clock)
        try:
            who = _answerer(accounts.store.get_user(user), user, school)
            entry = AccessEntry(at=caretrail.clock(), user_id=who.user_id, role=who.role.value,
                                case_id=str(cid), school_id=school, resource=RESOURCE,
                                purpose=purpose.strip())
            accounts.store.record_access(entry)
            found = records(cid, entry, caretrail.cases.stream_history(cid), reads_of(accounts.store, cid))
            written = _write(lines(found, "csv" if format is FileFormat.CSV else "jsonl"), out)
        finally:
            accounts.close()
    if out is not None:
        sys.stderr.write(f"access request for case {cid}: {written} lines written to {out}\n")


def _answerer(found: User | None, user: str, school: str) -> User:
    """The account ``--as`` names, if it may answer for ``school``; else CliError."""
    if found is None or found.disabled_at is not None or not (
        found.role is UserRole.ADMIN or (found.role is UserRole.SUPERVISOR and school in found.schools)
    ):
        raise CliError(f"--as {user}: only an admin or a supervisor of {school} answers an "
                       "access request (an active account)")
    return found


def _write(text: Iterable[str], out: str | None) -> int:
    """Write the lines to ``out`` (created 0600, or emptied and made 0600) or to stdout."""
    count = 0
    if out is None:
        for line in text:
            sys.stdout.write(line)
            count += 1
        return count
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file that was there keeps no wider mode
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        for line in text:
            f.write(line)
            count += 1
    return count
