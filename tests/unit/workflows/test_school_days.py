"""School days by China's official calendar, and the start-of-year re-check's due date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from workflows.registry import Registry
from workflows.school_days import is_school_day, nth_school_day

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_public_holidays_and_weekends_are_no_school_days_and_make_up_days_are() -> None:
    assert not is_school_day(date(2026, 10, 1))  # National Day
    assert not is_school_day(date(2026, 9, 25))  # Mid-Autumn 2026
    assert is_school_day(date(2026, 9, 20))  # a Sunday worked for National Day (调休)
    assert not is_school_day(date(2026, 9, 19))  # a Saturday


def test_years_the_official_schedule_does_not_cover_fall_back_to_the_public_holidays() -> None:
    assert not is_school_day(date(2027, 9, 15))  # Mid-Autumn 2027, by the lunar calendar
    assert not is_school_day(date(2027, 9, 18))  # a Saturday
    assert is_school_day(date(2027, 9, 14))


def test_the_tenth_school_day_skips_the_mid_autumn_festival() -> None:
    assert nth_school_day(date(2027, 9, 1), 10) == date(2027, 9, 14)
    assert nth_school_day(date(2027, 9, 1), 11) == date(2027, 9, 16)  # not the 15th
    assert nth_school_day(date(2026, 9, 1), 10) == date(2026, 9, 14)


def test_the_re_check_is_due_after_the_tenth_school_day_of_the_years_autumn_term() -> None:
    v3 = Registry.load().latest("left_behind")
    in_summer = datetime(2027, 7, 20, 2, tzinfo=UTC)
    at_the_start = datetime(2027, 9, 3, 2, tzinfo=UTC)
    expected = datetime(2027, 9, 15, tzinfo=SHANGHAI)  # after Tuesday the 14th
    assert v3.autumn_school_day_end(in_summer, 10) == expected
    assert v3.autumn_school_day_end(at_the_start, 10) == expected
    late = datetime(2027, 10, 12, 2, tzinfo=UTC)  # a Tuesday, after the term's first weeks
    assert v3.autumn_school_day_end(late, 10) == datetime(2027, 10, 26, tzinfo=SHANGHAI)
