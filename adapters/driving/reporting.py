"""What the CLI, the API and the pages share about reports: the period asked for (school
days; by default the current term), the report itself, and the named list with its
access log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from adapters.bootstrap import Caretrail
from projections import reports
from projections.reports import Report
from projections.rows import MAX_PAGE, CaseRow, Page, TaskRow
from workflows.terms import Calendar

T = TypeVar("T")
#: The most rows a list export holds (the lists page through far fewer on screen).
MAX_EXPORT_ROWS = 20_000

#: The longest period a report covers (a few school years).
MAX_DAYS = 366 * 5


class BadPeriod(ValueError):
    """Raised when a report's period is not two dates in order (the message says which)."""


@dataclass(frozen=True)
class Period:
    """School days ``first`` to ``last`` (both included), and the UTC bounds they make."""

    first: date
    last: date
    since: datetime
    until: datetime


def current_term(caretrail: Caretrail) -> tuple[date, date]:
    """The first and last day of the term under way (the workflow's calendar)."""
    tz = ZoneInfo(caretrail.settings.timezone)
    definition = caretrail.registry.latest(caretrail.settings.default_workflow).definition
    term = Calendar.of(definition).term_of(caretrail.clock().astimezone(tz).date())
    return term.start, term.last_day


def period(caretrail: Caretrail, first: str | date | None, last: str | date | None) -> Period:
    """The period from ``first`` to ``last`` (``YYYY-MM-DD``, days in the school's time zone);
    either left out: that end of the current term. :class:`BadPeriod` if not a period."""
    term_start, term_last = current_term(caretrail)
    start = _day(first, "from") or term_start
    end = _day(last, "to") or term_last
    if end < start:
        raise BadPeriod(f"the period ends ({end}) before it starts ({start})")
    if (end - start).days > MAX_DAYS:
        raise BadPeriod(f"a report covers at most {MAX_DAYS} days")
    tz = ZoneInfo(caretrail.settings.timezone)
    return Period(start, end, datetime.combine(start, time(), tzinfo=tz),
                  datetime.combine(end + timedelta(days=1), time(), tzinfo=tz))


def _day(value: str | date | None, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadPeriod(f"{name}: '{text[:40]}' is not a date (YYYY-MM-DD)") from None


def make_report(caretrail: Caretrail, school_ids: list[str] | tuple[str, ...], when: Period) -> Report:
    """The report on these schools over the period, as the views stand now."""
    return caretrail.read.report(school_ids=school_ids, since=when.since, until=when.until,
                                 now=caretrail.clock())


def named_children(
    caretrail: Caretrail, school_ids: list[str] | tuple[str, ...], when: Period
) -> tuple[list[tuple[str, str | None, str, str, str]], list[tuple[str, str | None]]]:
    """The children the report counts, with their names (read from each case, never from a
    view): the rows of the named list, and the (case, school) pairs the caller must write
    to the access log before handing the list out."""
    found = reports.followed_cases(caretrail.read.stores["cases"], school_ids,
                                   since=when.since, until=when.until)
    rows: list[tuple[str, str | None, str, str, str]] = []
    for case_id, school, class_name, state, risk in found:
        _, child = caretrail.cases.child_of(UUID(case_id))
        rows.append((school, child.class_name or class_name, child.name, state, risk))
    return rows, [(case_id, school) for case_id, school, *_ in found]


def every_page(read: Callable[..., Page[T]], **filters: Any) -> list[T]:
    """All the rows of a list query (``read.tasks`` or ``read.cases``) with these filters,
    page by page, up to :data:`MAX_EXPORT_ROWS`."""
    rows: list[T] = []
    after: str | None = None
    while len(rows) < MAX_EXPORT_ROWS:
        page = read(**filters, after=after, limit=MAX_PAGE)
        rows += page.items
        after = page.next_cursor
        if after is None:
            break
    return rows[:MAX_EXPORT_ROWS]


def names_of(
    caretrail: Caretrail, rows: list[TaskRow] | list[CaseRow]
) -> tuple[dict[str, str], list[tuple[str, str | None]]]:
    """The child's name of each case in ``rows`` (read from the case), and the (case,
    school) pairs to write to the access log before the names go out."""
    names: dict[str, str] = {}
    logged: list[tuple[str, str | None]] = []
    for case_id, school in dict.fromkeys((r.case_id, r.school_id) for r in rows):
        _, child = caretrail.cases.child_of(UUID(case_id))
        names[case_id] = child.name
        logged.append((case_id, school))
    return names, logged
