"""The limits of the HTTP layer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiConfig:
    """Limits of the HTTP layer."""

    #: Largest request body accepted (a note is at most 4,000 characters).
    max_body_bytes: int = 64 * 1024
    #: Longest a read waits for the views to reach ``min_position``.
    wait_seconds: float = 5.0
    #: Readiness fails when a view is further behind the log than this.
    max_view_lag: int = 10_000
