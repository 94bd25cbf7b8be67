"""The limits of the HTTP layer, and where its store calls run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiConfig:
    """Limits of the HTTP layer."""

    #: Largest request body accepted (a note is at most 4,000 characters).
    max_body_bytes: int = 64 * 1024
    #: Largest upload (a register: 20 MB, the multipart envelope besides).
    max_upload_bytes: int = 21 * 1024 * 1024
    #: Longest a read waits for the views to reach ``min_position``.
    wait_seconds: float = 5.0
    #: Readiness fails when a view is further behind the log than this.
    max_view_lag: int = 10_000
    #: Where the ``async`` routes and dependencies call the stores: inline on the event
    #: loop (local SQLite files: an indexed read is cheaper than the hop to a thread), or
    #: in the thread pool (a database across the network). None: by the store.
    inline_reads: bool | None = None
