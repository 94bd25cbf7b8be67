"""A notifier that POSTs JSON to a URL: plain, or as a WeCom or DingTalk group robot."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus, urlsplit
from zoneinfo import ZoneInfo

import httpx

from adapters.driven.notify.formats import Format, body
from adapters.driven.notify.messages import EscalationBatch, SchoolDigest
from adapters.driven.notify.port import DeliveryFailed, Notifier, SchedulerConfigError


class WebhookNotifier(Notifier):
    """POSTs JSON to a URL: plain, or as a WeCom or DingTalk group robot message."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        *,
        fmt: Format = "plain",
        secret: str | None = None,
        timeout: float = 5.0,
        tz: ZoneInfo | None = None,
        wall_time: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - ValueError for a port out of range or not a number
            httpx.URL(url)  # what the client will send to: a bad host or IPv6 literal fails here
        except (ValueError, httpx.InvalidURL):
            # The URL holds the robot's key: say what is wrong, never echo it.
            raise SchedulerConfigError(
                "webhook URL is not a valid URL (check its host and port)") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SchedulerConfigError("webhook URL must be an http:// or https:// URL")
        if secret is not None and fmt != "dingtalk":
            raise SchedulerConfigError("a webhook secret is only used by the dingtalk format")
        self.url = url
        self.fmt = fmt
        self._paced = fmt in ("wecom", "dingtalk")
        self.secret = secret
        self.tz = tz or ZoneInfo("Asia/Shanghai")
        # DingTalk checks the signature's timestamp against real time: not the app clock.
        self.wall_time = wall_time
        self.client = httpx.Client(timeout=timeout, transport=transport)

    @property
    def where(self) -> str:
        """Scheme, host and port only: keys live in queries, paths or user info. Safe to log."""
        parts = urlsplit(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}"

    @property
    def paced(self) -> bool:
        """Group robots (WeCom, DingTalk) take about 20 messages a minute."""
        return self._paced

    def send(self, message: EscalationBatch | SchoolDigest) -> None:
        """POST the message; anything but a 2xx (and, for robots, errcode 0) is a failure."""
        try:
            response = self.client.post(self._target(), json=body(self.fmt, message, self.tz))
        except httpx.HTTPError as e:
            raise DeliveryFailed(f"{type(e).__name__} posting to {self.where}") from None
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code} from {self.where}")
        if self.fmt != "plain":
            answer = _json(response)
            code = answer.get("errcode")
            if code != 0:
                detail = str(answer.get("errmsg", "no errmsg"))[:200]
                raise DeliveryFailed(f"{self.fmt} robot refused: errcode {code}: {detail}")

    def _target(self) -> str:
        if self.secret is None:
            return self.url
        # DingTalk 加签: HMAC-SHA256 of "timestamp\nsecret", base64, URL-encoded.
        stamp = str(round(self.wall_time() * 1000))
        digest = hmac.new(self.secret.encode(), f"{stamp}\n{self.secret}".encode(), hashlib.sha256)
        sign = quote_plus(base64.b64encode(digest.digest()))
        joiner = "&" if "?" in self.url else "?"
        return f"{self.url}{joiner}timestamp={stamp}&sign={sign}"

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise DeliveryFailed(f"HTTP {response.status_code} but the answer is not JSON") from None
    if not isinstance(data, dict):
        raise DeliveryFailed("the answer is not a JSON object")
    return data
