"""The clock: the only place caretrail reads the time of day."""

from __future__ import annotations

from datetime import UTC, datetime


class Clock:
    """Tells the current time (UTC). Tests use a subclass they move by hand."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)
