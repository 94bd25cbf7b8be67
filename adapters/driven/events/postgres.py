"""Wakes the projection runner when any process commits events (PostgreSQL LISTEN/NOTIFY).

eventsourcing's PostgreSQL recorder sends ``NOTIFY <events table>`` with every insert. The
runner still polls (a missed notification only delays a view by one poll interval); this
listener makes writes from other processes visible within milliseconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
import structlog
from psycopg import sql

log = structlog.get_logger()


class NotifyListener:
    """A background thread that calls ``on_notify()`` for every notification on ``channel``."""

    def __init__(self, conninfo: str, channel: str, on_notify: Callable[[], None]) -> None:
        self.conninfo = conninfo
        self.channel = channel
        self.on_notify = on_notify
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start listening (idempotent)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._listen, name="pg-listen", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop listening; returns within about a second."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _listen(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    failures = 0
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.on_notify()
            except psycopg.Error:
                failures += 1
                log.warning("pg_listen_reconnecting", failures=failures)
                self._stop.wait(min(30.0, 0.5 * 2**failures))
