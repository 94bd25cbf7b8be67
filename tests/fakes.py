"""Test doubles that subclass the real interfaces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.driven.clock import Clock


class FakeClock(Clock):
    """A clock that only moves when a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 9, 1, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta given as keywords (days=3, minutes=10...)."""
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> None:
        """Jump to a moment (tests only move forward unless they mean otherwise)."""
        self.now = moment
