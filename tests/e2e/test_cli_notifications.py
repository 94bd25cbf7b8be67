"""``caretrail notifications status|retry``: what the outbox gave up, and sending it again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from adapters.bootstrap import build, build_scheduler
from adapters.driven.locks.sqlite import FileLeaderLock
from adapters.driven.notify.webhook import WebhookNotifier
from adapters.settings import Settings
from tests.e2e.test_cli import caretrail
from tests.fakes import FakeClock
from tests.unit.scheduler.fakes import seed


def _given_up(data: Path) -> None:
    """Three escalations (two at s1, one at s2) whose notices a dead webhook made fail for good."""
    now = datetime.now(UTC)
    clock = FakeClock(now)
    caretrail = build(Settings(data_dir=data, notify_max_attempts=1), clock=clock)
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens there now
    sched = build_scheduler(caretrail, notifier=WebhookNotifier(f"http://127.0.0.1:{port}/hook", timeout=2),
                             lock=FileLeaderLock(data / "test.lock"))
    try:
        opened = now - timedelta(days=20)  # home visits due 14 days later: overdue by 6
        seed(caretrail, clock, 2, at=opened, school="s1")
        seed(caretrail, clock, 1, at=opened, first=2, school="s2")
        assert sched.lock.acquire(blocking=False)
        sched.outbox.setup()
        assert sched.sweep().escalated == 3
        sched.deliver()
    finally:
        sched.shutdown()
        sched.lock.release()
        caretrail.close()


def _json(data: Path, *args: str) -> dict[str, object]:
    done = caretrail(data, "notifications", *args, "--json")
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_status_shows_given_up_notifications_and_retry_queues_them_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _given_up(data)
    status = _json(data, "status")
    assert status["counts"] == {"pending": 0, "sent": 0, "failed": 3}
    failed = status["failed"]
    assert isinstance(failed, list)
    assert sorted(f["school_id"] for f in failed) == ["s1", "s1", "s2"]
    assert all("ConnectError" in f["last_error"] and f["attempts"] == 1 for f in failed)
    assert "王小明" not in json.dumps(status)  # ids and reasons only

    assert _json(data, "retry", "--school", "s2") == {"requeued": 1}
    assert _json(data, "status")["counts"] == {"pending": 1, "sent": 0, "failed": 2}
    assert _json(data, "retry") == {"requeued": 2}
    assert _json(data, "retry") == {"requeued": 0}
    text = caretrail(data, "notifications", "status")
    assert text.returncode == 0
    assert text.stdout.startswith("3 pending, 0 sent, 0 failed")


def test_retry_refuses_a_malformed_school_id_in_one_line_and_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _given_up(data)
    done = caretrail(data, "notifications", "retry", "--school", "no such/school")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "--school" in done.stderr
    assert _json(data, "status")["counts"] == {"pending": 0, "sent": 0, "failed": 3}
