"""``caretrail case ...``: identify a child and take each step of a case."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from adapters.bootstrap import Caretrail, build_accounts, guard_assignments
from adapters.driving.cli import case_reads
from adapters.driving.cli.common import (
    AsOpt,
    AtOpt,
    CaseArg,
    CliError,
    JsonOpt,
    RoleOpt,
    actor,
    case_uuid,
    emit,
    local,
    open_caretrail,
    stated_time,
    uuid_of,
)
from adapters.driving.cli.consent_options import FormOpt, GivenOnOpt, WitnessOpt, consent_of
from adapters.driving.cli.operations import catch_up
from adapters.driving.erasure import erase_case
from adapters.settings import Settings
from domain.values import (
    Child,
    ClosureReason,
    ContactChannel,
    ContactParty,
    ErasureReason,
    Guardian,
    Parents,
    ParentsAway,
    ReviewOutcome,
    RiskLevel,
    Role,
)
from workflows.commands import (
    AddNote,
    AmendDetails,
    AssignHeadTeacher,
    ChangeRiskLevel,
    CloseCase,
    Command,
    CompleteFollowUp,
    EraseCase,
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
        accounts = build_accounts(caretrail.settings, caretrail.clock)
        try:
            guard_assignments(caretrail, accounts)
            result = caretrail.cases.handle(stated, actor_)
        finally:
            accounts.close()
        _report(caretrail, result, envelope.as_json)


#: How the other modules of ``caretrail case`` hand their step to the application.
run_step = _run


def _report(caretrail: Caretrail, result: CommandResult, as_json: bool) -> None:
    # The command is recorded: whatever happens to the views now, failing would invite a
    # retry of a command that succeeded. They catch up on the next command or in the service.
    catch_up(caretrail)  # keep the views current for the next `caretrail tasks`
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
    consent_form: FormOpt = None, consent_witness: WitnessOpt = None, consent_date: GivenOnOpt = None,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.TEACHER,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Open a case for a left-behind child; with --consent-form or --consent-witness, the
    guardian's consent too (else record it later: ``caretrail case consent``)."""
    consent = None
    if consent_form is not None or consent_witness is not None or consent_date is not None:
        consent = consent_of(guardian_name, guardian_relation, consent_form, consent_witness,
                             consent_date, Settings())
    _run(IdentifyChild, None, Envelope(at, user, role, command_id, as_json),
         school_id=school, student_no=student_no, child=Child(name=name, class_name=class_name),
         guardian=Guardian(name=guardian_name, relation=guardian_relation, phone=guardian_phone),
         parents=Parents(away=parents_away, work_place=parents_work_place),
         head_teacher_id=head_teacher, risk_level=risk, consent=consent)


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
    class_name: Annotated[str | None, typer.Option("--class", help="The child's class now (班级).")] = None,
    guardian_name: Annotated[str | None, typer.Option(help="The guardian now.")] = None,
    guardian_relation: Annotated[str | None, typer.Option(help="e.g. aunt.")] = None,
    guardian_phone: Annotated[str | None, typer.Option(help="The guardian's phone now.")] = None,
    parents_away: Annotated[ParentsAway | None, typer.Option(help="Which parents work away now.")] = None,
    parents_work_place: Annotated[str | None, typer.Option(help="Where they work now.")] = None,
    parents_phone: Annotated[str | None, typer.Option(help="The parents' phone now.")] = None,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.TEACHER,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Amend the details: the child's class, another guardian or phone, where the parents are.

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
        if parents_away or parents_work_place or parents_phone:
            parents = Parents(
                away=parents_away or case.parents.away,
                work_place=parents_work_place or case.parents.work_place,
                phone=parents_phone or case.parents.phone,
            )
    if guardian is None and parents is None and class_name is None:
        raise CliError("give what changed: --class, a --guardian-... or --parents-... option")
    _run(AmendDetails, case_id, Envelope(at, user, role, command_id, as_json),
         guardian=guardian, parents=parents, class_name=class_name)


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
def erase(
    case_id: CaseArg,
    reason: Annotated[ErasureReason, typer.Option(help="Why the child's data is erased.")],
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.SUPERVISOR,
    as_json: JsonOpt = False,
) -> None:
    """Erase the child's personal data (the case key is destroyed; the skeleton stays)."""
    settings = Settings()
    command = EraseCase(case_id=case_uuid(case_id), reason=reason,
                        occurred_at=stated_time(at, settings))
    with open_caretrail(settings) as caretrail:
        accounts = build_accounts(caretrail.settings, caretrail.clock)
        try:
            report = erase_case(caretrail, command, actor(user, role), accounts=accounts)
        finally:
            accounts.close()
        caretrail.runner.catch_up()
    emit(report, as_json, "\n".join(f"{k}: {v}" for k, v in report.items()))


case_cli.command()(case_reads.show)
case_cli.command()(case_reads.history)
