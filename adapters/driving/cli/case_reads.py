"""``caretrail case show`` and ``caretrail case history``: a case's personal data and its
events, each read written to the access log."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from adapters.bootstrap import Caretrail, build_accounts
from adapters.driven.auth.models import AccessEntry
from adapters.driving.cli.common import (
    AsOpt,
    CaseArg,
    CliError,
    JsonOpt,
    PurposeOpt,
    case_uuid,
    emit,
    local,
    open_caretrail,
    when,
)
from domain.case import Case
from projections.summaries import summarise


def show(
    case_id: CaseArg,
    version: Annotated[int | None, typer.Option(min=1, max=1_000_000_000,
                                                help="The case as of this version.")] = None,
    as_of: Annotated[str | None, typer.Option(help="The case as recorded at this time.")] = None,
    user: AsOpt = "operator",
    purpose: PurposeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a case (now, at a version, or as of a time); the read is access-logged."""
    if version is not None and as_of is not None:
        raise CliError("give --version or --as-of, not both")
    with open_caretrail() as caretrail:
        cid = case_uuid(case_id)
        case = (
            caretrail.cases.case_as_of(cid, when(as_of, caretrail, "--as-of")) if as_of
            else caretrail.cases.get_case(cid, version=version)
        )
        if version is not None and case.version < version:
            raise CliError(f"case {cid} is at version {case.version}, not yet {version}")
        _log_read(caretrail, case.id, case.school_id, "cli-case", user, purpose)
        data = case_dict(case)
        lines = [
            f"case {case.id} (version {case.version}, {case.workflow})",
            f"  child: {case.child.name}, {case.child.class_name or '-'}, school {case.school_id}",
            f"  state: {case.state}   risk: {case.risk_level}",
            f"  head teacher: {case.head_teacher_id}   mentor: {case.mentor_id or '-'}",
            f"  guardian: {case.guardian.name} ({case.guardian.relation})   parents away: "
            f"{case.parents.away}",
            f"  opened: {local(case.opened_at, caretrail)}   closed: {local(case.closed_at, caretrail)}",
            f"  consent: {consent_line(case, caretrail)}",
            "  open follow-ups:",
            *(f"    {local(t.due_at, caretrail)}  {t.kind:<17} {t.assignee_id or t.assignee_role}"
              f"  {t.follow_up_id}" for t in case.open_follow_ups),
        ]
        emit(data, as_json, "\n".join(lines))


def _log_read(
    caretrail: Caretrail, case_id: UUID, school_id: str, resource: str, user: str, purpose: str | None
) -> None:
    """Write this read of a case's personal data to the access log, as the API does for
    its callers: the operator as ``--as`` names them, role ``operator``."""
    accounts = build_accounts(caretrail.settings, caretrail.clock)
    try:
        accounts.store.record_access(AccessEntry(
            at=caretrail.clock(), user_id=user, role="operator", case_id=str(case_id),
            school_id=school_id, resource=resource, purpose=purpose or "unstated",
        ))
    finally:
        accounts.close()


def history(
    case_id: CaseArg, user: AsOpt = "operator", purpose: PurposeOpt = None, as_json: JsonOpt = False
) -> None:
    """Every event of a case, in order."""
    with open_caretrail() as caretrail:
        cid = case_uuid(case_id)
        events = caretrail.cases.history(cid)
        _log_read(caretrail, cid, events[0].school_id, "cli-history", user, purpose)  # Identified
        emit(
            [e.model_dump(mode="json") | {"type": type(e).__name__} for e in events],
            as_json,
            "\n".join(
                f"{e.originator_version:>4}  {local(e.occurred_at, caretrail)}  "
                f"{e.actor.user_id:<22} {type(e).__name__:<20} {summarise(e)}"
                for e in events
            ),
        )


def consent_line(case: Case, caretrail: Caretrail) -> str:
    """The guardian's consent in one line: how, by whom, when; and a withdrawal."""
    given = case.consent
    text = "none recorded" if given is None else (
        f"{given.method} {given.form_number or ''}{'witness ' + given.witness if given.witness else ''}"
        f" by {given.given_by} ({given.relation}) on {given.given_on.isoformat()}"
    )
    gone = case.consent_withdrawal
    if gone is not None:
        text += f"; WITHDRAWN {local(gone.withdrawn_at, caretrail)} by {gone.withdrawn_by} ({gone.relation})"
    return text


def case_dict(case: Case) -> dict[str, object]:
    """A case as plain data (for ``--json`` and the API)."""
    return {
        "case_id": str(case.id),
        "version": case.version,
        "workflow": case.workflow.model_dump(),
        "school_id": case.school_id,
        "student_no": case.student_no,
        "child": case.child.model_dump(mode="json"),
        "guardian": case.guardian.model_dump(mode="json"),
        "parents": case.parents.model_dump(mode="json"),
        "state": case.state,
        "risk_level": case.risk_level.value,
        "head_teacher_id": case.head_teacher_id,
        "mentor_id": case.mentor_id,
        "counselling_teacher_id": case.counselling_teacher_id,
        "opened_at": case.opened_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "follow_ups": [t.model_dump(mode="json") for t in case.open_follow_ups],
        "consent": case.consent.model_dump(mode="json") if case.consent else None,
        "consent_withdrawal": (case.consent_withdrawal.model_dump(mode="json")
                               if case.consent_withdrawal else None),
    }
