"""``caretrail case ...``: identify a child and take each step of a case."""

from __future__ import annotations

import sqlite3
import sys
from typing import Annotated, Any
from uuid import UUID

import typer

from adapters.bootstrap import Caretrail, build_accounts
from adapters.driven.auth.models import AccessEntry
from adapters.driving.cli.common import (
    AsOpt,
    AtOpt,
    CliError,
    JsonOpt,
    PurposeOpt,
    RoleOpt,
    actor,
    case_uuid,
    emit,
    local,
    open_caretrail,
    stated_time,
    uuid_of,
    when,
)
from adapters.settings import Settings
from domain.case import Case
from domain.values import (
    Child,
    ClosureReason,
    ContactChannel,
    ContactParty,
    Guardian,
    Parents,
    ParentsAway,
    ReviewOutcome,
    RiskLevel,
    Role,
)
from projections.summaries import summarise
from workflows.commands import (
    AddNote,
    AmendDetails,
    AssignHeadTeacher,
    ChangeRiskLevel,
    CloseCase,
    Command,
    CompleteFollowUp,
    IdentifyChild,
    LogContact,
    PairMentor,
    RecordCounselling,
    RecordHomeVisit,
    ReleaseMentor,
    ReopenCase,
    ReviewCase,
)
from workflows.services import CommandResult

case_cli = typer.Typer(help="Identify children and record each step of their cases.", no_args_is_help=True)
CaseArg = Annotated[str, typer.Argument(help="Case id (UUID).")]
CommandIdOpt = Annotated[
    str | None, typer.Option("--command-id", help="Idempotency key: a retry adds nothing.")
]


class Envelope:
    """What every step's command line carries besides the step's own options."""

    def __init__(self, at: str | None, user: str, role: Role, command_id: str | None, as_json: bool) -> None:
        self.at, self.user, self.role, self.command_id, self.as_json = at, user, role, command_id, as_json


def _run(command: type[Command], case_id: str | None, envelope: Envelope, **fields: Any) -> None:
    """Build the command from the options, hand it to the application, print what it reached."""
    settings = Settings()
    actor_ = actor(envelope.user, envelope.role)
    given = {"case_id": case_uuid(case_id)} if case_id is not None else {}
    stated = command(
        occurred_at=stated_time(envelope.at, settings),
        command_id=uuid_of(envelope.command_id, "--command-id") if envelope.command_id else None,
        **given, **fields,
    )
    with open_caretrail(settings) as caretrail:
        _report(caretrail, caretrail.cases.handle(stated, actor_), envelope.as_json)


def _report(caretrail: Caretrail, result: CommandResult, as_json: bool) -> None:
    # The command is recorded: whatever happens to the views now, failing would invite a
    # retry of a command that succeeded. They catch up on the next command or in the service.
    try:
        caretrail.runner.catch_up()  # keep the views current for the next `caretrail tasks`
    except Exception as e:  # reported, and the command's outcome still shown
        if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
            sys.stderr.write("caretrail: the views are busy (another process is writing them); "
                             "they catch up later\n")
        else:
            sys.stderr.write(f"caretrail: recorded, but the views could not catch up "
                             f"({type(e).__name__}); see `caretrail projections status`\n")
    what = ", ".join(result.events) or "nothing new (already recorded)"
    lines = [f"case {result.case_id}: {result.state}, version {result.version} — {what}"]
    lines += [
        f"  due {local(t.due_at, caretrail)}: {t.kind} ({t.assignee_id or t.assignee_role})"
        for t in result.scheduled
    ]
    emit(result, as_json, "\n".join(lines))


@case_cli.command()
def identify(
    school: Annotated[str, typer.Option(help="School id.")],
    student_no: Annotated[str, typer.Option(help="Student number at the school.")],
    name: Annotated[str, typer.Option(help="The child's name.")],
    guardian_name: Annotated[str, typer.Option(help="The proxy parent's name.")],
    guardian_relation: Annotated[str, typer.Option(help="e.g. grandmother.")],
    head_teacher: Annotated[str, typer.Option(help="Head teacher's user id.")],
    parents_away: Annotated[ParentsAway, typer.Option(help="Which parents work away.")] = ParentsAway.BOTH,
    class_name: Annotated[str | None, typer.Option("--class", help="Class, e.g. 三年级2班.")] = None,
    guardian_phone: Annotated[str | None, typer.Option()] = None,
    parents_work_place: Annotated[str | None, typer.Option()] = None,
    risk: Annotated[RiskLevel, typer.Option(help="Initial risk level.")] = RiskLevel.NORMAL,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.TEACHER,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Open a case for a left-behind child."""
    _run(IdentifyChild, None, Envelope(at, user, role, command_id, as_json),
         school_id=school, student_no=student_no, child=Child(name=name, class_name=class_name),
         guardian=Guardian(name=guardian_name, relation=guardian_relation, phone=guardian_phone),
         parents=Parents(away=parents_away, work_place=parents_work_place),
         head_teacher_id=head_teacher, risk_level=risk)


@case_cli.command()
def visit(
    case_id: CaseArg,
    guardian_met: Annotated[bool, typer.Option("--guardian-met/--guardian-not-met")] = True,
    observations: Annotated[str | None, typer.Option()] = None,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.TEACHER,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record a home visit (家访)."""
    _run(RecordHomeVisit, case_id, Envelope(at, user, role, command_id, as_json),
         guardian_met=guardian_met, observations=observations)


@case_cli.command()
def pair(
    case_id: CaseArg,
    mentor: Annotated[str, typer.Option(help="The mentor teacher's user id.")],
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.SUPERVISOR,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Pair the child with a mentor (结对帮扶), or hand over to another."""
    _run(PairMentor, case_id, Envelope(at, user, role, command_id, as_json), teacher_id=mentor)


@case_cli.command()
def release(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option(help="Why the pairing ends.")],
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.SUPERVISOR,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """End the child's pairing with their mentor."""
    _run(ReleaseMentor, case_id, Envelope(at, user, role, command_id, as_json), reason=reason)


@case_cli.command()
def counsel(
    case_id: CaseArg,
    summary: Annotated[str | None, typer.Option()] = None,
    risk: Annotated[RiskLevel | None, typer.Option(help="Reassessed risk level.")] = None,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.TEACHER,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record a counselling session held by the acting teacher."""
    _run(RecordCounselling, case_id, Envelope(at, user, role, command_id, as_json),
         summary=summary, risk_level=risk)


@case_cli.command()
def review(
    case_id: CaseArg,
    outcome: Annotated[ReviewOutcome, typer.Option(help="continue, close or raise_risk.")],
    summary: Annotated[str | None, typer.Option()] = None,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.SUPERVISOR,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Review the case."""
    _run(ReviewCase, case_id, Envelope(at, user, role, command_id, as_json),
         outcome=outcome, summary=summary)


@case_cli.command()
def close(
    case_id: CaseArg,
    reason: Annotated[ClosureReason, typer.Option()],
    note: Annotated[str | None, typer.Option()] = None,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.SUPERVISOR,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Close the case."""
    _run(CloseCase, case_id, Envelope(at, user, role, command_id, as_json), reason=reason, note=note)


@case_cli.command()
def reopen(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option()],
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.SUPERVISOR,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Reopen a closed case."""
    _run(ReopenCase, case_id, Envelope(at, user, role, command_id, as_json), reason=reason)


@case_cli.command()
def contact(
    case_id: CaseArg,
    party: Annotated[ContactParty, typer.Option(help="guardian, parent, or child (a mentor's talk).")],
    channel: Annotated[ContactChannel, typer.Option()] = ContactChannel.PHONE,
    summary: Annotated[str | None, typer.Option()] = None,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.TEACHER,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Log a contact."""
    _run(LogContact, case_id, Envelope(at, user, role, command_id, as_json),
         party=party, channel=channel, summary=summary)


@case_cli.command()
def note(
    case_id: CaseArg,
    text: Annotated[str, typer.Argument(help="The note.")],
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.TEACHER,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Add a note to the growth diary (成长日记)."""
    _run(AddNote, case_id, Envelope(at, user, role, command_id, as_json), text=text)


@case_cli.command()
def amend(
    case_id: CaseArg,
    guardian_name: Annotated[str | None, typer.Option(help="The guardian now.")] = None,
    guardian_relation: Annotated[str | None, typer.Option(help="e.g. aunt.")] = None,
    guardian_phone: Annotated[str | None, typer.Option(help="The guardian's phone now.")] = None,
    parents_away: Annotated[ParentsAway | None, typer.Option(help="Which parents work away now.")] = None,
    parents_work_place: Annotated[str | None, typer.Option(help="Where they work now.")] = None,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.TEACHER,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Amend the family's details: another guardian or phone, or where the parents are.

    Options left out keep what the case has; history keeps what was true before."""
    guardian = parents = None
    with open_caretrail() as caretrail:
        case = caretrail.cases.get_case(case_uuid(case_id))
        if guardian_name or guardian_relation or guardian_phone:
            guardian = Guardian(
                name=guardian_name or case.guardian.name,
                relation=guardian_relation or case.guardian.relation,
                phone=guardian_phone or case.guardian.phone,
            )
        if parents_away or parents_work_place:
            parents = Parents(
                away=parents_away or case.parents.away,
                work_place=parents_work_place or case.parents.work_place, phone=case.parents.phone,
            )
    if guardian is None and parents is None:
        raise CliError("give what changed: a --guardian-... or --parents-... option")
    _run(AmendDetails, case_id, Envelope(at, user, role, command_id, as_json),
         guardian=guardian, parents=parents)


@case_cli.command("head-teacher")
def head_teacher(
    case_id: CaseArg,
    teacher: Annotated[str, typer.Option(help="The new head teacher's user id.")],
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.SUPERVISOR,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Give the child another head teacher (their open tasks follow)."""
    _run(AssignHeadTeacher, case_id, Envelope(at, user, role, command_id, as_json), teacher_id=teacher)


@case_cli.command()
def risk(
    case_id: CaseArg,
    level: Annotated[RiskLevel, typer.Option()],
    reason: Annotated[str | None, typer.Option()] = None,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.TEACHER,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Reassess the child's risk level."""
    _run(ChangeRiskLevel, case_id, Envelope(at, user, role, command_id, as_json), level=level, reason=reason)


@case_cli.command()
def complete(
    case_id: CaseArg,
    follow_up: Annotated[str, typer.Option(help="Follow-up id.")],
    note_text: Annotated[str | None, typer.Option("--note")] = None,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.TEACHER,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Mark an open follow-up done by hand."""
    _run(CompleteFollowUp, case_id, Envelope(at, user, role, command_id, as_json),
         follow_up_id=uuid_of(follow_up, "--follow-up id"), note=note_text)


@case_cli.command()
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


@case_cli.command()
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
    }
