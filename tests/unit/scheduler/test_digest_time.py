"""The digest's time of day, its day and when it is due, in the school's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from adapters.driving.scheduler.digest import digest_day, digest_due
from adapters.settings import parse_digest_time

TZ = ZoneInfo("Asia/Shanghai")


def test_reads_hours_and_minutes() -> None:
    assert parse_digest_time("07:30") == time(7, 30)
    assert parse_digest_time(" 18:05 ") == time(18, 5)


@pytest.mark.parametrize("text", ["7.30", "25:00", "07:60", "", "noon", "07:30:00"])
def test_refuses_anything_but_hh_mm(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_digest_time(text)


def test_the_digest_day_is_the_school_day_not_the_utc_day() -> None:
    late_utc = datetime(2026, 9, 1, 23, 0, tzinfo=UTC)  # 07:00 on 2 September in Beijing
    assert digest_day(late_utc, TZ) == date(2026, 9, 2)


def test_the_digest_is_due_once_its_local_time_has_passed() -> None:
    at = time(7, 30)
    assert not digest_due(datetime(2026, 9, 1, 23, 29, tzinfo=UTC), at, TZ)  # 07:29 local
    assert digest_due(datetime(2026, 9, 1, 23, 30, tzinfo=UTC), at, TZ)
