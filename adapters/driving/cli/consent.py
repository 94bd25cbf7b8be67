"""``caretrail case consent`` and ``caretrail case withdraw-consent``: the guardian's consent."""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.driving.cli.case import CommandIdOpt, Envelope, run_step
from adapters.driving.cli.common import AsOpt, AtOpt, CaseArg, JsonOpt, RoleOpt
from adapters.driving.cli.consent_options import FormOpt, GivenOnOpt, WitnessOpt, consent_of
from adapters.settings import Settings
from domain.values import Role
from workflows.commands import RecordConsent, WithdrawConsent

ByOpt = Annotated[str, typer.Option("--by", help="The guardian (personal data).")]
RelationOpt = Annotated[str, typer.Option("--relation", help="How they are related to the child.")]


def record_consent(
    case_id: CaseArg, by: ByOpt, relation: RelationOpt,
    form: FormOpt = None, witness: WitnessOpt = None, given_on: GivenOnOpt = None,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.TEACHER,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record the guardian's consent: the signed form's number, or a verbal consent's witness."""
    consent = consent_of(by, relation, form, witness, given_on, Settings())
    run_step(RecordConsent, case_id, Envelope(at, user, role, command_id, as_json), consent=consent)


def withdraw_consent(
    case_id: CaseArg, by: ByOpt, relation: RelationOpt,
    note: Annotated[str | None, typer.Option(help="What the guardian said.")] = None,
    at: AtOpt = None, user: AsOpt = "operator", role: RoleOpt = Role.TEACHER,
    command_id: CommandIdOpt = None, as_json: JsonOpt = False,
) -> None:
    """Record that the guardian withdrew consent: the school's supervisor then decides on
    erasure (an ``erasure_decision`` task)."""
    run_step(WithdrawConsent, case_id, Envelope(at, user, role, command_id, as_json),
             withdrawn_by=by, relation=relation, note=note)
