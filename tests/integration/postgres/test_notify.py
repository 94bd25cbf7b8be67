"""On PostgreSQL a write by another process wakes this process's views at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from adapters.bootstrap import build
from adapters.driven.events.postgres import NotifyListener
from adapters.settings import Settings
from tests.conftest import identify
from tests.fakes import FakeClock

pytestmark = pytest.mark.postgres


def test_a_commit_in_another_application_notifies_the_listener(pg_settings: Settings) -> None:
    writer = build(pg_settings, create_tables=True)
    woken = threading.Event()
    assert pg_settings.database_url is not None
    listener = NotifyListener(pg_settings.database_url, "cases_events", woken.set)
    listener.start()
    try:
        # The listener may still be connecting: write until it hears one (bounded).
        for n in range(50):
            identify(writer.cases, FakeClock(datetime.now(UTC)), n=n)
            if woken.wait(0.2):
                break
        assert woken.is_set()
    finally:
        listener.stop()
        writer.close()
