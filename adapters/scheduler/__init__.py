"""The scheduler: escalation sweeps, daily digests and notifications, behind a leader lock.

Wiring (``caretrail serve``, ``caretrail scheduler``)::

    scheduler = SchedulerService(app)   # notifier and lock from app.settings
    scheduler.start()                   # returns at once; leads once it holds the lock
    ...
    scheduler.shutdown()
"""

from __future__ import annotations

from adapters.scheduler.lock import FileLeaderLock, LeaderLock, LockError, lock_for
from adapters.scheduler.notifier import (
    DeliveryFailed,
    LogNotifier,
    Notifier,
    SchedulerConfigError,
    WebhookNotifier,
    notifier_from_settings,
)
from adapters.scheduler.service import SchedulerService

__all__ = [
    "DeliveryFailed",
    "FileLeaderLock",
    "LeaderLock",
    "LockError",
    "LogNotifier",
    "Notifier",
    "SchedulerConfigError",
    "SchedulerService",
    "WebhookNotifier",
    "lock_for",
    "notifier_from_settings",
]
