"""School days in China: weekdays that are no public holiday, and the official make-up
working days (调休) on which schools open.

``chinese-calendar`` knows the State Council's yearly schedule, make-up days included, but
only for the years it was released with (to 2026); for later years the public holidays
come from ``holidays`` (the Spring Festival and Mid-Autumn by the lunar calendar, any
year) and make-up days are not known: a weekend counts as no school day.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import chinese_calendar
import holidays


@cache
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("CN", years=year))


def is_school_day(day: date) -> bool:
    """Whether schools are open on ``day`` by the official calendar."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no schedule for
        return day.weekday() < 5 and day not in _public_holidays(day.year)


def nth_school_day(first: date, n: int) -> date:
    """The ``n``-th school day counting from ``first`` (itself the first if it is one)."""
    if n < 1:
        raise ValueError("n counts from 1")
    day, seen = first, 0
    while True:
        if is_school_day(day):
            seen += 1
            if seen == n:
                return day
        day += timedelta(days=1)
