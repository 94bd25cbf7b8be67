"""Escalations told through a webhook: a real HTTP server on 127.0.0.1 that works, then fails."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from structlog.testing import capture_logs

from adapters.bootstrap import Caretrail, build_scheduler
from adapters.driven.locks.sqlite import FileLeaderLock
from adapters.driven.notify.formats import MAX_BYTES
from adapters.driven.notify.webhook import WebhookNotifier
from adapters.driving.scheduler.service import SchedulerService
from tests.fakes import FakeClock
from tests.unit.scheduler.fakes import PERSONAL, escalation_counts, home_visit_due, seed


class Robot:
    """A group robot on 127.0.0.1: records each POST, answers as told."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                robot.requests.append({
                    "path": urlsplit(self.path).path, "query": parse_qs(urlsplit(self.path).query),
                    "raw": raw.decode(), "json": json.loads(raw),
                    "content_type": self.headers["Content-Type"],
                })
                payload = json.dumps(robot.answer).encode()
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot() -> Iterator[Robot]:
    server = Robot()
    yield server
    server.close()


def leading(caretrail: Caretrail, notifier: WebhookNotifier, lock_path: Path) -> SchedulerService:
    """A scheduler that holds its lock; the test drives its sweeps and deliveries by hand."""
    sched = build_scheduler(caretrail, notifier=notifier, lock=FileLeaderLock(lock_path))
    assert sched.lock.acquire(blocking=False)
    sched.outbox.setup()
    return sched


def test_wecom_robot_receives_escalations_in_batches_then_failures_are_retried_with_backoff(
    caretrail: Caretrail, clock: FakeClock, robot: Robot, tmp_path: Path
) -> None:
    opened = clock()
    cases = seed(caretrail, clock, 20, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=3, minutes=10))
    notifier = WebhookNotifier(f"{robot.url}/cgi-bin/webhook/send?key=ROBOT-KEY", fmt="wecom")
    sched = leading(caretrail, notifier, tmp_path / "lock")
    try:
        assert sched.sweep().escalated == 20
        report = sched.deliver()
        assert (report.sent, report.failed) == (20, 0)
        assert len(robot.requests) == 2  # 15 + 5: robots take ~20 messages a minute
        for request in robot.requests:
            assert request["path"] == "/cgi-bin/webhook/send"
            assert request["query"]["key"] == ["ROBOT-KEY"]
            assert request["content_type"] == "application/json"
            assert set(request["json"]) == {"msgtype", "markdown"}
            assert request["json"]["msgtype"] == "markdown"
            assert set(request["json"]["markdown"]) == {"content"}
            assert len(request["json"]["markdown"]["content"].encode()) <= MAX_BYTES
            assert not [p for p in PERSONAL if p in request["raw"]]
        told = "".join(r["json"]["markdown"]["content"] for r in robot.requests)
        assert all(str(case_id) in told for case_id in cases)
        assert "t-head" in told
        assert "逾期 3 天" in told

        # The robot breaks; the next rung comes due for all 20 tasks.
        robot.status, robot.answer = 500, {"errcode": -1, "errmsg": "system busy"}
        clock.set(home_visit_due(opened) + timedelta(days=14, minutes=10))
        with capture_logs() as logs:
            swept = sched.sweep()
            failed = sched.deliver()
        assert swept.escalated == 20  # the sweep is not held up by the broken robot
        assert len(escalation_counts(caretrail)) == 40
        assert (failed.sent, failed.failed) == (0, 20)
        warnings = [e for e in logs if e["event"] == "notification_failed"]
        assert len(warnings) == 20
        assert {w["reason"] for w in warnings} == {f"HTTP 500 from {robot.url}"}
        assert all(w["log_level"] == "warning" and w["attempts"] == 1 for w in warnings)
        assert "ROBOT-KEY" not in json.dumps(logs, default=str)
        pending = sched.outbox.entries(status="pending")
        assert len(pending) == 20
        assert {p.last_error for p in pending} == {f"HTTP 500 from {robot.url}"}

        calls = len(robot.requests)
        assert sched.deliver().sent == 0  # not before the backoff
        assert len(robot.requests) == calls

        robot.status, robot.answer = 200, {"errcode": 0, "errmsg": "ok"}
        clock.advance(seconds=caretrail.settings.notify_retry_seconds)
        retried = sched.deliver()
        assert (retried.sent, retried.failed) == (20, 0)
        told = "".join(r["json"]["markdown"]["content"] for r in robot.requests[calls:])
        assert told.count("level 2 → district") == 20
        assert sched.outbox.counts() == {"sent": 40}
    finally:
        sched.shutdown()
        sched.lock.release()


def test_dingtalk_robot_gets_signed_markdown_and_a_refusal_is_recorded(
    caretrail: Caretrail, clock: FakeClock, robot: Robot, tmp_path: Path
) -> None:
    opened = clock()
    seed(caretrail, clock, 2, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=4))
    notifier = WebhookNotifier(
        f"{robot.url}/robot/send?access_token=TOKEN", fmt="dingtalk", secret="SECtest",
    )
    sched = leading(caretrail, notifier, tmp_path / "lock")
    try:
        robot.answer = {"errcode": 310000, "errmsg": "keywords not in content"}
        sched.sweep()
        assert sched.deliver().failed == 2
        assert {e.last_error for e in sched.outbox.entries()} == {
            "dingtalk robot refused: errcode 310000: keywords not in content"
        }
        robot.answer = {"errcode": 0, "errmsg": "ok"}
        clock.advance(minutes=5)
        assert sched.deliver().sent == 2
        for request in robot.requests:
            body = request["json"]
            assert body["msgtype"] == "markdown"
            assert set(body["markdown"]) == {"title", "text"}
            assert "caretrail" in body["markdown"]["title"]
            stamp = request["query"]["timestamp"][0]
            expected = base64.b64encode(
                hmac.new(b"SECtest", f"{stamp}\nSECtest".encode(), hashlib.sha256).digest()
            ).decode()
            assert request["query"]["sign"] == [expected]
            assert request["query"]["access_token"] == ["TOKEN"]
    finally:
        sched.shutdown()
        sched.lock.release()


def test_an_unreachable_webhook_is_given_up_after_the_last_attempt_and_logged_as_an_error(
    caretrail: Caretrail, clock: FakeClock, tmp_path: Path
) -> None:
    opened = clock()
    seed(caretrail, clock, 3, at=opened)
    clock.set(home_visit_due(opened) + timedelta(days=3))
    caretrail.settings = caretrail.settings.model_copy(update={"notify_max_attempts": 3})
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens there now
    notifier = WebhookNotifier(f"http://127.0.0.1:{port}/hook", timeout=2)
    sched = leading(caretrail, notifier, tmp_path / "lock")
    try:
        assert sched.sweep().escalated == 3
        with capture_logs() as logs:
            for _ in range(3):
                sched.deliver()
                clock.advance(hours=2)  # past any backoff
        assert sched.outbox.counts() == {"failed": 3}
        assert [e["attempts"] for e in logs if e["event"] == "notification_failed"] == [1, 1, 1, 2, 2, 2]
        gave_up = [e for e in logs if e["event"] == "notification_gave_up"]
        assert len(gave_up) == 3
        assert all(e["log_level"] == "error" and "ConnectError" in e["reason"] for e in gave_up)
        assert sched.deliver().sent == 0  # given up: an operator decides what next
        assert sched.sweep().candidates == 0  # and nothing was escalated twice meanwhile
    finally:
        sched.shutdown()
        sched.lock.release()


def test_given_up_notifications_queued_again_reach_the_webhook_once_it_works(
    caretrail: Caretrail, clock: FakeClock, tmp_path: Path, robot: Robot
) -> None:
    opened = clock()
    cases = seed(caretrail, clock, 2, at=opened, school="s1")
    cases += seed(caretrail, clock, 1, at=opened, first=2, school="s2")
    clock.set(home_visit_due(opened) + timedelta(days=3))
    caretrail.settings = caretrail.settings.model_copy(update={"notify_max_attempts": 1})
    robot.status = 502
    sched = leading(caretrail, WebhookNotifier(robot.url + "/hook", timeout=2), tmp_path / "lock")
    try:
        assert sched.sweep().escalated == 3
        sched.deliver()
        assert sched.outbox.counts() == {"failed": 3}
        robot.status = 200
        refused = len(robot.requests)
        assert sched.deliver().sent == 0  # given up: nothing goes out by itself
        assert len(robot.requests) == refused
        assert sched.outbox.requeue_failed(school_id="s2") == 1
        assert sched.outbox.counts() == {"failed": 2, "pending": 1}
        assert sched.outbox.requeue_failed() == 2
        assert sched.outbox.requeue_failed() == 0
        assert sched.deliver().sent == 3
        assert sched.outbox.counts() == {"sent": 3}
        delivered = "".join(r["raw"] for r in robot.requests[refused:])
        assert all(str(case_id) in delivered for case_id in cases)
        counts = escalation_counts(caretrail)
        assert len(counts) == 3
        assert set(counts.values()) == {1}  # nothing escalated again
    finally:
        sched.shutdown()
        sched.lock.release()
