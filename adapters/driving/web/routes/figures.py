"""统计图表: a school's figures over a term, as charts with their tables, for those who may
read statistics (a 德育主任 their school, an inspector any school of theirs).

The weeks run Monday to Sunday in the school's time zone; a week's overdue count is the
one at its end (Monday 00:00), or now for the week under way. Months are calendar months.
Only counts are shown: no child's data, so nothing goes to the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from adapters.driving.web import charts
from adapters.driving.web.names import KINDS, N_
from adapters.driving.web.pages import SignedIn, render, signed_in
from workflows.terms import Calendar, Term

router = APIRouter(include_in_schema=False)
#: How many terms the picker offers: this one and the three before it (two school years).
TERMS_OFFERED = 4


@dataclass
class Row:
    """One line of a chart's table."""

    label: str
    cells: tuple[str, ...]


@dataclass
class Figure:
    """One chart and the table that carries its numbers."""

    chart: Markup
    head: tuple[str, ...]
    rows: list[Row]


@router.get("/figures")
def figures(request: Request, school: str = "", term: str = "") -> Response:
    """The charts of one school and term (default: the visitor's first school, this term)."""
    visit = signed_in(request)
    title = visit.gettext(N_("Figures"))
    if not visit.can("stats:read"):
        return render(visit, "error.html", status=403, title=title,
                      message=visit.gettext(N_("Your role does not allow this.")))
    caretrail = visit.caretrail
    tz = ZoneInfo(caretrail.settings.timezone)
    now = caretrail.clock()
    calendar = Calendar.of(caretrail.registry.latest(caretrail.settings.default_workflow).definition)
    terms = calendar.terms_until(now.astimezone(tz).date(), TERMS_OFFERED)
    schools = sorted(visit.user.schools)
    chosen = calendar.term_starting(term.strip()) if term.strip() else terms[0]
    context: dict[str, Any] = {
        "schools": schools, "school": school, "term": term, "terms": terms, "figures": None,
        "error": None, "term_name": lambda t: term_name(visit, t),
    }
    if (school or (schools[:1] or [""])[0]) not in schools:
        context["error"] = visit.gettext(N_("You have no school of that name."))
        return render(visit, "figures.html", status=404, **context)
    if chosen is None or chosen.start > now.astimezone(tz).date():
        context["error"] = visit.gettext(N_("Choose one of the terms offered."))
        return render(visit, "figures.html", status=422, **context)
    if chosen not in terms:
        terms.append(chosen)
    school = school or schools[0]
    context.update(school=school, term=chosen.key(), figures=_figures(visit, school, chosen, now, tz))
    return render(visit, "figures.html", **context)


def term_name(visit: SignedIn, term: Term) -> str:
    """"2026 autumn term" in the visitor's language."""
    name = N_("Autumn term %(year)s") if term.autumn else N_("Spring term %(year)s")
    return visit.gettext(name, year=term.start.year)


def _figures(visit: SignedIn, school: str, term: Term, now: datetime, tz: ZoneInfo) -> list[Figure]:
    read, gettext = visit.caretrail.read, visit.gettext
    until = min(_midnight(term.end, tz), now)

    weeks: list[tuple[int, date, datetime]] = []  # number, last day shown, moment counted at
    monday = term.start - timedelta(days=term.start.weekday())
    while _midnight(monday, tz) < until:
        end = min(_midnight(monday + timedelta(days=7), tz), until)
        weeks.append((len(weeks) + 1, (end - timedelta(microseconds=1)).astimezone(tz).date(), end))
        monday += timedelta(days=7)
    overdue = read.overdue_at(school_id=school, moments=[end for _, _, end in weeks])
    by_week = Figure(
        charts.columns([charts.Bar(str(n), v, str(v)) for (n, _, _), v in zip(weeks, overdue, strict=True)]),
        (gettext(N_("Week")), gettext(N_("Up to")), gettext(N_("Overdue tasks"))),
        [Row(str(n), (day.isoformat(), str(v))) for (n, day, _), v in zip(weeks, overdue, strict=True)],
    )

    kinds = read.on_time_by_kind(school_id=school, since=_midnight(term.start, tz), until=until)
    names = [gettext(KINDS.get(k.kind, k.kind)) for k in kinds]
    on_time = Figure(
        charts.rows([charts.Bar(n, k.rate, f"{k.rate:.0%}") for n, k in zip(names, kinds, strict=True)],
                    top=1.0),
        (gettext(N_("Task")), gettext(N_("On time")), gettext(N_("Done")), gettext(N_("On-time rate"))),
        [Row(n, (str(k.on_time), str(k.done), f"{k.rate:.0%}")) for n, k in zip(names, kinds, strict=True)],
    )

    months = [term.start]  # the first day counted in each month (the term may start mid-month)
    first = _next_month(term.start)
    while first < term.end and _midnight(first, tz) < until:
        months.append(first)
        first = _next_month(first)
    bounds = [_midnight(m, tz) for m in [*months, min(first, term.end)]]
    visits = read.home_visits_between(school_id=school, bounds=bounds)
    locale = visit.locale
    by_month = Figure(
        charts.columns([charts.Bar(format_date(m, "MMM", locale=locale), v, str(v))
                        for m, v in zip(months, visits, strict=True)]),
        (gettext(N_("Month")), gettext(N_("Home visits"))),
        [Row(format_date(m, "yyyy-MM", locale=locale), (str(v),))
         for m, v in zip(months, visits, strict=True)],
    )
    return [by_week, on_time, by_month]


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)
