"""The options that state a guardian's consent on the command line, and the consent they make.

A signed form is given by its number (``--consent-form``), a verbal consent by its witness
(``--consent-witness``); the date defaults to today in the school's time zone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from adapters.driving.cli.common import CliError
from adapters.settings import Settings
from domain.values import Consent, ConsentMethod

FormOpt = Annotated[str | None, typer.Option(
    "--consent-form", help="The signed consent form's number.")]
WitnessOpt = Annotated[str | None, typer.Option(
    "--consent-witness", help="Who heard a verbal consent.")]
GivenOnOpt = Annotated[str | None, typer.Option(
    "--consent-date", help="When consent was given (YYYY-MM-DD; default: today).")]


def consent_of(
    given_by: str, relation: str, form: str | None, witness: str | None, given_on: str | None,
    settings: Settings,
) -> Consent:
    """The consent the options state (CliError if they state none, or two ways at once)."""
    if (form is None) == (witness is None):
        raise CliError("give the consent's evidence: --consent-form NUMBER or --consent-witness NAME")
    if given_on is None:
        day = datetime.now(ZoneInfo(settings.timezone)).date()
    else:
        try:
            day = date.fromisoformat(given_on)
        except ValueError:
            raise CliError(f"--consent-date: '{given_on}' is not a date (YYYY-MM-DD)") from None
    method = ConsentMethod.SIGNED_FORM if form is not None else ConsentMethod.VERBAL
    return Consent(given_by=given_by, relation=relation, method=method, form_number=form,
                   witness=witness, given_on=day)
