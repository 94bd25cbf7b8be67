"""Reports and lists as tables, and tables as files: an ``.xlsx`` workbook (one sheet per
table) or one CSV (UTF-8 with a BOM, a title line above each table).

Titles, column headers and the names of states, risk levels and task kinds come from the
web pages' catalogs (``adapters/driving/web/locales``), Chinese unless the reader's language
is English. Every text cell is escaped against formula injection as the history export
does (:func:`adapters.driving.exports.escape_cell`): openpyxl would store a text starting
with ``=`` as a formula. Numbers stay numbers. (It lives with the pages because their
catalogs are its texts' home: ``make messages`` extracts them from here; the CLI and the
API write the same files.)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from adapters.driving.exports import BOM, escape_cell
from adapters.driving.web.i18n import translations
from adapters.driving.web.names import KINDS, N_, ROLES, STATES
from projections.reports import Report, SchoolSummary
from projections.rows import CaseRow, TaskRow

RISKS = {"normal": N_("Normal risk"), "high": N_("High risk")}
TASK_STATUSES = {"open": N_("Open"), "done": N_("Done"), "cancelled": N_("Cancelled")}
#: The summary's columns: the report's field and its header.
SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("children", N_("Children followed")),
    ("opened", N_("Cases opened")),
    ("closed", N_("Cases closed")),
    ("home_visits", N_("Home visits")),
    ("children_visited", N_("Children visited")),
    ("children_paired", N_("Children paired")),
    ("counselling_sessions", N_("Counselling sessions")),
    ("guardian_contacts", N_("Guardian contacts")),
    ("parent_contacts", N_("Parent contacts")),
    ("mentor_talks", N_("Mentor talks")),
    ("escalations", N_("Escalations")),
)
#: Characters a sheet name may not hold, and its longest length (Excel's rules).
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})
_SHEET_LENGTH = 31


@dataclass
class Table:
    """One table of a report or list: a title (the sheet's name), a header, rows."""

    title: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)


Gettext = Callable[[str], str]


def gettext_of(locale: str) -> Gettext:
    """The catalog's ``gettext`` of ``locale`` (``zh_CN`` or ``en``)."""
    return translations(locale).gettext


def report_tables(report: Report, locale: str, *, local: Callable[[Any], str]) -> list[Table]:
    """The report as its tables, headers in ``locale``; ``local`` formats a time for the reader
    (in the school's time zone)."""
    _ = gettext_of(locale)
    about = Table(_(N_("About this report")), [_(N_("Item")), _(N_("Value"))], [
        [_(N_("Schools")), ", ".join(report.school_ids)],
        # The period as school days: its first, and the one before its end ("YYYY-MM-DD").
        [_(N_("From")), local(report.since)[:10]],
        [_(N_("To (included)")), local(report.until - timedelta(microseconds=1))[:10]],
        [_(N_("Made at")), local(report.as_of)],
    ])
    summary = Table(_(N_("Summary")), [_(N_("School")), *(_(h) for _f, h in SUMMARY_COLUMNS)])
    lines = list(report.summary)
    if len(lines) > 1:
        lines.append(report.total())
    summary.rows = [[_summary_school(line, _), *(getattr(line, f) for f, _h in SUMMARY_COLUMNS)]
                    for line in lines]

    def named(table: Mapping[str, str], code: str) -> str:
        return _(table[code]) if code in table else code

    by_state = Table(_(N_("Children by state")), [_(N_("School")), _(N_("State")), _(N_("Children"))],
                     [[c.school_id, named(STATES, c.key), c.children] for c in report.by_state])
    by_risk = Table(_(N_("Children by risk")), [_(N_("School")), _(N_("Risk level")), _(N_("Children"))],
                    [[c.school_id, named(RISKS, c.key), c.children] for c in report.by_risk])
    task_head = [_(N_("Done on time")), _(N_("Done late")), _(N_("Still overdue"))]
    by_kind = Table(_(N_("Tasks by kind")), [_(N_("School")), _(N_("Task")), *task_head],
                    [[t.school_id, named(KINDS, t.key), t.on_time, t.late, t.overdue]
                     for t in report.tasks_by_kind])
    by_class = Table(_(N_("Tasks by class")), [_(N_("School")), _(N_("Class")), *task_head],
                     [[t.school_id, t.key or _(N_("No class")), t.on_time, t.late, t.overdue]
                      for t in report.tasks_by_class])
    return [about, summary, by_state, by_risk, by_kind, by_class]


def _summary_school(line: SchoolSummary, _: Gettext) -> str:
    return line.school_id or _(N_("All schools"))


def named_table(children: Sequence[tuple[str, str | None, str, str, str]], locale: str) -> Table:
    """The named list: (school, class, name, state, risk) per child, for those allowed it."""
    _ = gettext_of(locale)
    return Table(_(N_("Children (named list)")),
                 [_(N_("School")), _(N_("Class")), _(N_("Name")), _(N_("State")), _(N_("Risk level"))],
                 [[school, class_name or "", name, _(STATES.get(state, state)), _(RISKS.get(risk, risk))]
                  for school, class_name, name, state, risk in children])


# --------------------------------------------------------------------------- files
def _cell(value: Any) -> Any:
    """A cell as written: numbers as they are, anything else as escaped text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return escape_cell(value)
    return value


def sheet_name(title: str, taken: set[str]) -> str:
    """``title`` as a sheet name Excel accepts, unique in the workbook."""
    base = title.translate(_SHEET_FORBIDDEN).strip("' ")[:_SHEET_LENGTH] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: _SHEET_LENGTH - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    """The tables as an ``.xlsx`` workbook, one sheet each, the header row frozen."""
    book = Workbook()
    taken: set[str] = set()
    first = True
    for table in tables:
        sheet = book.active if first and book.active is not None else book.create_sheet()
        first = False
        sheet.title = sheet_name(table.title, taken)
        sheet.append([_cell(h) for h in table.header])
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
        sheet.freeze_panes = "A2"
        for i, head in enumerate(table.header, start=1):
            widest = max([len(str(head)) * 2, *(len(str(r[i - 1])) for r in table.rows[:200])])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(widest + 2, 8), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(tables: Sequence[Table]) -> str:
    """The tables as one CSV: a BOM, then for each table its title line, header and rows,
    a blank line between tables (a single table: no title line, as a list is)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for i, table in enumerate(tables):
        if len(tables) > 1:
            if i:
                writer.writerow([])
            writer.writerow([escape_cell(table.title)])
        writer.writerow([escape_cell(h) for h in table.header])
        writer.writerows([[_cell(v) for v in row] for row in table.rows])
    return BOM + out.getvalue()


#: The formats a report or list is written in, their media types and file suffixes.
FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}


def file_bytes(tables: Sequence[Table], fmt: str) -> bytes:
    """The tables in format ``fmt`` (``xlsx`` or ``csv``)."""
    if fmt == "xlsx":
        return xlsx_bytes(tables)
    if fmt == "csv":
        return csv_text(tables).encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}: xlsx or csv")


# --------------------------------------------------------------------------- lists
def task_table(rows: Sequence[TaskRow], locale: str, *, local: Callable[[Any], str],
               names: Mapping[str, str] | None = None) -> Table:
    """Follow-up tasks as a list shows them; ``names`` (case id -> child) adds a name column."""
    _ = gettext_of(locale)
    head = [_(N_("School")), _(N_("Class")), _(N_("Task")), _(N_("Assignee")), _(N_("Due")),
            _(N_("Days overdue")), _(N_("Escalation level")), _(N_("Status")), _(N_("Case"))]
    table = Table(_(N_("Tasks")), head + ([_(N_("Name"))] if names is not None else []))
    for t in rows:
        who = t.assignee_id or _(ROLES.get(t.assignee_role, t.assignee_role))
        line = [t.school_id, t.class_name or "", _(KINDS.get(t.kind, t.kind)), who, local(t.due_at),
                t.days_overdue, t.escalation_level, _(TASK_STATUSES.get(t.status, t.status)), t.case_id]
        table.rows.append(line + ([names.get(t.case_id, "")] if names is not None else []))
    return table


def case_table(rows: Sequence[CaseRow], locale: str, *, local: Callable[[Any], str],
               names: Mapping[str, str] | None = None) -> Table:
    """Cases as the case list shows them; ``names`` (case id -> child) adds a name column."""
    _ = gettext_of(locale)
    head = [_(N_("School")), _(N_("Class")), _(N_("State")), _(N_("Risk level")), _(N_("Head teacher")),
            _(N_("Mentor")), _(N_("Opened")), _(N_("Closed on")), _(N_("Next task")), _(N_("Due")),
            _(N_("Case"))]
    table = Table(_(N_("Cases")), head + ([_(N_("Name"))] if names is not None else []))
    for c in rows:
        line = [c.school_id, c.class_name or "", _(STATES.get(c.state, c.state)),
                _(RISKS.get(c.risk_level, c.risk_level)), c.head_teacher_id, c.mentor_id or "",
                local(c.opened_at), local(c.closed_at) if c.closed_at else "",
                _(KINDS.get(c.next_due_kind, c.next_due_kind)) if c.next_due_kind else "",
                local(c.next_due_at) if c.next_due_at else "", c.case_id]
        table.rows.append(line + ([names.get(c.case_id, "")] if names is not None else []))
    return table
