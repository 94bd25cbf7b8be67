"""The webhook notifier over a mock transport: success, failures, DingTalk signing, no secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from structlog.testing import capture_logs

from adapters.bootstrap import build_notifier
from adapters.driven.notify.log import LogNotifier
from adapters.driven.notify.messages import EscalationBatch, EscalationNotice
from adapters.driven.notify.port import DeliveryFailed, SchedulerConfigError
from adapters.driven.notify.webhook import WebhookNotifier
from adapters.settings import Settings

NOW = datetime(2026, 9, 20, 1, 0, tzinfo=UTC)
BATCH = EscalationBatch(notices=(EscalationNotice(
    case_id="c-1", follow_up_id="f-1", school_id="s1", kind="home_visit",
    assignee_role="head_teacher", assignee_id="t-head", level=1, to_role="supervisor",
    days_overdue=4, due_at=NOW, escalated_at=NOW,
),))
WECOM = "https://qyapi.example/cgi-bin/webhook/send?key=SECRET-KEY"


def answering(status: int, payload: object, seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, json=payload)
    return httpx.MockTransport(handler)


def test_a_robot_answering_errcode_zero_is_a_delivery() -> None:
    seen: list[httpx.Request] = []
    ok = answering(200, {"errcode": 0, "errmsg": "ok"}, seen)
    notifier = WebhookNotifier(WECOM, fmt="wecom", transport=ok)
    notifier.send(BATCH)
    assert json.loads(seen[0].content)["msgtype"] == "markdown"
    assert seen[0].url.params["key"] == "SECRET-KEY"


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_a_delivery_logs_no_key_at_any_level(level: str) -> None:
    import io
    import logging

    from adapters.logging import configure_logging

    lines = io.StringIO()
    configure_logging("json", level, lines, cache=False)
    try:
        notifier = WebhookNotifier(WECOM, fmt="wecom", transport=answering(200, {"errcode": 0}))
        notifier.send(BATCH)
        logging.getLogger("httpx").warning("a warning still gets through")
    finally:
        configure_logging("json", "INFO", io.StringIO(), cache=False)
    assert "a warning still gets through" in lines.getvalue()
    assert "SECRET-KEY" not in lines.getvalue()


def test_a_robot_refusing_with_http_200_is_still_a_failure() -> None:
    notifier = WebhookNotifier(
        WECOM, fmt="wecom", transport=answering(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    )
    with pytest.raises(DeliveryFailed, match="errcode 45009: api freq out of limit"):
        notifier.send(BATCH)


def test_an_http_error_status_is_a_failure_that_does_not_reveal_the_key() -> None:
    notifier = WebhookNotifier(WECOM, fmt="wecom", transport=answering(502, {}))
    with pytest.raises(DeliveryFailed) as failure:
        notifier.send(BATCH)
    assert "HTTP 502" in str(failure.value)
    assert "SECRET-KEY" not in str(failure.value)


def test_a_connection_failure_names_the_host_but_not_the_key() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}")
    notifier = WebhookNotifier(WECOM, fmt="wecom", transport=httpx.MockTransport(refuse))
    with pytest.raises(DeliveryFailed) as failure:
        notifier.send(BATCH)
    assert "ConnectError" in str(failure.value)
    assert "qyapi.example" in str(failure.value)
    assert "SECRET-KEY" not in str(failure.value)


def test_only_scheme_host_and_port_of_the_url_are_ever_shown() -> None:
    notifier = WebhookNotifier("https://user:pw@hooks.example:8443/services/T0/B0/SECRET?key=K")
    assert notifier.where == "https://hooks.example:8443"


def test_a_plain_webhook_needs_only_a_2xx() -> None:
    WebhookNotifier("http://127.0.0.1:9/hook", transport=answering(204, None)).send(BATCH)


def test_dingtalk_signing_adds_timestamp_and_hmac_of_the_secret() -> None:
    seen: list[httpx.Request] = []
    notifier = WebhookNotifier(
        "https://oapi.example/robot/send?access_token=TOKEN", fmt="dingtalk", secret="SECabc",
        wall_time=lambda: 1700000000.123, transport=answering(200, {"errcode": 0}, seen),
    )
    notifier.send(BATCH)
    query = parse_qs(urlsplit(str(seen[0].url)).query)
    assert query["access_token"] == ["TOKEN"]
    assert query["timestamp"] == ["1700000000123"]
    expected = base64.b64encode(
        hmac.new(b"SECabc", b"1700000000123\nSECabc", hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]


@pytest.mark.parametrize(
    ("url", "fmt", "secret", "problem"),
    [
        ("ftp://host/x", "plain", None, "http"),
        ("not a url", "wecom", None, "http"),
        ("https://host/x", "wecom", "SEC", "only used by the dingtalk"),
        ("http://127.0.0.1:99999/x?key=K1", "plain", None, r"not a valid URL \(check its host and port\)$"),
        ("http://[::1/x?key=K1", "plain", None, "not a valid URL"),
        ("http://127.0.0.1:abc/x?key=K1", "plain", None, "not a valid URL"),
    ],
)
def test_unusable_webhook_settings_are_refused_up_front(
    url: str, fmt: str, secret: str | None, problem: str
) -> None:
    with pytest.raises(SchedulerConfigError, match=problem):
        WebhookNotifier(url, fmt=fmt, secret=secret)  # type: ignore[arg-type]


def test_settings_choose_the_notifier(tmp_path: object) -> None:
    assert isinstance(build_notifier(Settings()), LogNotifier)
    with pytest.raises(SchedulerConfigError, match="CARETRAIL_WEBHOOK_URL"):
        build_notifier(Settings(notifier="webhook"))
    hook = build_notifier(Settings(notifier="webhook", webhook_url=WECOM, webhook_format="wecom"))
    assert isinstance(hook, WebhookNotifier)
    assert hook.where == "https://qyapi.example"


def test_the_log_notifier_logs_ids_and_counts_only() -> None:
    with capture_logs() as logs:
        LogNotifier().send(BATCH)
    assert logs == [{
        "event": "escalation_notice", "log_level": "info", "case_id": "c-1", "follow_up_id": "f-1",
        "school_id": "s1", "kind": "home_visit", "assignee_role": "head_teacher",
        "assignee_id": "t-head", "escalation_level": 1, "to_role": "supervisor", "days_overdue": 4,
    }]
