"""School terms from a workflow's calendar: which term a day falls in, and the terms before it.

A term runs from one of the calendar's term starts (``MM-DD``) to the day before the next
one, so the terms of a year cover it without a gap (the summer and winter holidays belong
to the term they follow). Without a calendar, terms start on 1 February and 1 September.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from workflows.definition import Definition

#: Term starts when a workflow has no calendar: spring from February, autumn from September.
DEFAULT_TERM_STARTS = ("02-01", "09-01")


@dataclass(frozen=True, order=True)
class Term:
    """One school term: ``start`` is its first day, ``end`` the first day of the next term."""

    start: date
    end: date

    @property
    def autumn(self) -> bool:
        """A term starting in the second half of the year (the school year's first term)."""
        return self.start.month >= 7

    @property
    def last_day(self) -> date:
        """The term's last day."""
        return self.end - timedelta(days=1)

    def key(self) -> str:
        """How a page names the term in a URL: its first day, ``YYYY-MM-DD``."""
        return self.start.isoformat()


class Calendar:
    """The term starts of a workflow, and the terms they make."""

    def __init__(self, term_starts: tuple[str, ...] | list[str] = DEFAULT_TERM_STARTS) -> None:
        self.starts = sorted((int(md[:2]), int(md[3:])) for md in term_starts)

    @classmethod
    def of(cls, definition: Definition) -> Calendar:
        """The calendar of a workflow definition (the default one if it has none)."""
        if definition.calendar is None:
            return cls()
        return cls(definition.calendar.term_starts)

    def _starts_around(self, year: int) -> list[date]:
        return [date(y, m, d) for y in (year - 1, year, year + 1) for m, d in self.starts]

    def term_of(self, day: date) -> Term:
        """The term ``day`` falls in."""
        starts = self._starts_around(day.year)
        start = max(s for s in starts if s <= day)
        return Term(start, min(s for s in starts if s > start))

    def terms_until(self, day: date, count: int) -> list[Term]:
        """The term of ``day`` and the ``count - 1`` terms before it, newest first."""
        terms = [self.term_of(day)]
        while len(terms) < count:
            terms.append(self.term_of(terms[-1].start - timedelta(days=1)))
        return terms

    def term_starting(self, text: str) -> Term | None:
        """The term whose first day is ``text`` (``YYYY-MM-DD``); None if no term starts then."""
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        term = self.term_of(day)
        return term if term.start == day else None
