"""The Notifier port: delivers one message or raises :class:`DeliveryFailed`.

A notifier does not retry: the outbox (``adapters.driven.notify.outbox``) retries with
backoff, across restarts. Implementations: the log (``log.py``, the default) and a
webhook (``webhook.py``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from adapters.driven.notify.messages import EscalationBatch, SchoolDigest


class SchedulerConfigError(ValueError):
    """Raised when the scheduler's settings cannot work (e.g. a webhook without a URL)."""


class DeliveryFailed(Exception):
    """Raised when a notifier could not deliver a message; the reason holds no secret."""


class Notifier(ABC):
    """Delivers escalation notices and digests to people."""

    name: ClassVar[str]

    @property
    def paced(self) -> bool:
        """True when the receiver takes only so many messages a minute (a group robot): a
        backlog then goes one delivery run a minute, else run after run."""
        return False

    @abstractmethod
    def send(self, message: EscalationBatch | SchoolDigest) -> None:
        """Deliver ``message`` or raise :class:`DeliveryFailed`."""

    def close(self) -> None:  # noqa: B027 - optional
        """Release connections."""
