"""``caretrail report``: the report of a school or of the county as a workbook or CSV."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from adapters.bootstrap import build_accounts
from adapters.driven.auth.models import AccessEntry
from adapters.driving.cli.common import AsOpt, CliError, JsonOpt, PurposeOpt, emit, local, open_caretrail
from adapters.driving.reporting import BadPeriod, make_report, named_children, period
from adapters.driving.web.i18n import LOCALES
from adapters.driving.web.report_files import file_bytes, named_table, report_tables
from projections.reports import schools_with_cases


class Format(StrEnum):
    """The file a report is written as."""

    XLSX = "xlsx"
    CSV = "csv"


def report(
    out: Annotated[Path, typer.Option("--out", help="The file to write (replaced if it exists).")],
    school: Annotated[list[str] | None, typer.Option(help="A school id (repeatable).")] = None,
    county: Annotated[bool, typer.Option("--county", help="Every school with cases.")] = False,
    first: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: the "
                                              "term's first).")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD, included (default: "
                                             "the term's last).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="xlsx or csv.")] = Format.XLSX,
    lang: Annotated[str, typer.Option(help="Headers in zh_CN or en.")] = "zh_CN",
    named: Annotated[bool, typer.Option("--named", help="Add the children's names (needs "
                                        "--purpose; access-logged).")] = False,
    user: AsOpt = "operator",
    purpose: PurposeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the report on a school (--school) or every school (--county) for a period."""
    if bool(school) == county:
        raise CliError("give --school S (one or more) or --county")
    if lang not in LOCALES:
        raise CliError(f"--lang: {lang} is not one of {', '.join(LOCALES)}")
    if named and not (purpose or "").strip():
        raise CliError("--named needs --purpose: why you list the children by name")
    with open_caretrail() as caretrail:
        caretrail.runner.catch_up()
        try:
            when = period(caretrail, first, last)
        except BadPeriod as e:
            raise CliError(str(e)) from None
        schools = list(dict.fromkeys(school or [])) or schools_with_cases(caretrail.read.stores["cases"])
        made = make_report(caretrail, schools, when)
        tables = report_tables(made, lang, local=lambda moment: local(moment, caretrail))
        if named:
            rows, logged = named_children(caretrail, schools, when)
            accounts = build_accounts(caretrail.settings, caretrail.clock)
            try:
                at = caretrail.clock()
                accounts.store.record_accesses([
                    AccessEntry(at=at, user_id=user, role="operator", case_id=case_id,
                                school_id=school_id, resource="cli-report-named",
                                purpose=str(purpose).strip())
                    for case_id, school_id in logged])
            finally:
                accounts.close()
            tables.append(named_table(rows, lang))
        data = file_bytes(tables, fmt.value)
        out.write_bytes(data)
        emit({"out": str(out), "schools": schools, "from": when.first.isoformat(),
              "to": when.last.isoformat(), "format": fmt.value, "bytes": len(data)}, as_json,
             f"report on {len(schools)} school(s), {when.first} to {when.last}: {out} ({len(data)} bytes)")
