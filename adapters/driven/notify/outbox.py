"""The notification outbox: what must be told, what was told, what keeps failing.

Escalation notices are not sent by the sweep that escalated: they are collected from
the event log (``FollowUpEscalated`` events after the outbox's own tracking position,
exactly once per event, like a view), so a scheduler killed between recording an
escalation and telling anyone still tells them after restart. Delivery is at least
once: a failure is recorded on the row and retried with exponential backoff, and a
row that failed ``max_attempts`` times is kept as ``failed`` for an operator.

The outbox lives behind the views' store port: a SQLite file next to the views, or
tables in the PostgreSQL schema.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import structlog
from eventsourcing.utils import get_topic
from pydantic import BaseModel

from adapters.driven.notify.messages import (
    MESSAGE,
    EscalationBatch,
    EscalationNotice,
    SchoolDigest,
)
from adapters.driven.notify.port import DeliveryFailed, Notifier
from domain.case import Case
from projections.queries import ReadModels
from projections.runner import ViewRunner
from projections.store import StaleTracking, ViewStore, from_iso, iso
from workflows.services import CaseService

log = structlog.get_logger()

#: The outbox's tracking row (in the store's ``view_tracking`` table).
TRACKING = "notifications"
ESCALATED_TOPIC = get_topic(Case.FollowUpEscalated)
COLUMNS = (
    "message_key", "kind", "school_id", "payload", "status", "attempts", "next_attempt_at",
    "last_error", "created_at", "sent_at",
)
DDL = (
    "CREATE TABLE IF NOT EXISTS notification_outbox ("
    "message_key TEXT PRIMARY KEY, kind TEXT NOT NULL, school_id TEXT NOT NULL, "
    "payload TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, "
    "next_attempt_at TEXT NOT NULL, last_error TEXT, created_at TEXT NOT NULL, sent_at TEXT)",
    "CREATE INDEX IF NOT EXISTS outbox_due ON notification_outbox (status, next_attempt_at, message_key)",
)


class Sources(Protocol):
    """What the outbox reads: the event log, the views (caught up first), and the clock."""

    cases: CaseService
    read: ReadModels
    runner: ViewRunner
    clock: Callable[[], datetime]


class OutboxEntry(BaseModel):
    """One message to deliver, as the outbox keeps it."""

    message_key: str
    kind: str
    school_id: str
    payload: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class DeliveryReport(BaseModel):
    """What one delivery run did, counted in outbox rows."""

    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    deferred: int = 0
    #: More was due than one run sends, and nothing failed: run again (``SchedulerService``).
    backlog: bool = False


class Outbox:
    """Collects escalation notices from the log, queues digests, delivers with retries."""

    def __init__(
        self,
        store: ViewStore,
        caretrail: Sources,
        *,
        retry_seconds: float = 30.0,
        max_attempts: int = 8,
        max_backoff_seconds: float = 3600.0,
        batch_size: int = 15,
        messages_per_run: int = 20,
        page_size: int = 500,
    ) -> None:
        self.store = store
        self.caretrail = caretrail
        self.retry_seconds = retry_seconds
        self.max_attempts = max_attempts
        self.max_backoff_seconds = max_backoff_seconds
        self.batch_size = batch_size
        self.messages_per_run = messages_per_run
        self.page_size = page_size

    # ------------------------------------------------------------ set-up
    def setup(self) -> None:
        """Create the table; a new outbox starts at the log's head (history is not re-announced)."""
        head = self.caretrail.cases.position()
        with self.store.transaction() as cur:
            for ddl in DDL:
                cur.execute(ddl)
            cur.execute(ViewStore.TRACKING_DDL)
            cur.execute("SELECT 1 FROM view_tracking WHERE name = ?", (TRACKING,))
            if cur.fetchone() is None:
                cur.execute(
                    "INSERT INTO view_tracking (name, position, updated_at) VALUES (?, ?, ?)",
                    (TRACKING, head, iso(self.caretrail.clock())),
                )

    def skip_to_head(self) -> None:
        """Announce nothing recorded so far: the outbox goes on from the log's head (after
        a copied history, which was announced where it was recorded)."""
        head = self.caretrail.cases.position()
        with self.store.transaction() as cur:
            cur.execute("UPDATE view_tracking SET position = ?, updated_at = ? WHERE name = ?",
                        (head, iso(self.caretrail.clock()), TRACKING))

    # ------------------------------------------------------------ collecting
    def collect(self) -> int:
        """Queue a notice for every escalation recorded since the last call; return how many."""
        self.caretrail.runner.catch_up()  # the follow-up view then knows every escalated task
        added = 0
        recorder: Any = self.caretrail.cases.recorder
        while True:
            start = self.store.position(TRACKING)[0]
            head = self.caretrail.cases.position()
            if head <= start:
                return added
            found = recorder.select_notifications(
                start=start, limit=self.page_size, stop=head, topics=[ESCALATED_TOPIC],
                inclusive_of_start=False,
            )
            end = found[-1].id if len(found) == self.page_size else head
            events: list[Case.FollowUpEscalated] = [
                self.caretrail.cases.mapper.to_domain_event(n) for n in found  # type: ignore[misc]
            ]
            notices = [self._notice(e) for e in events]
            now = iso(self.caretrail.clock())
            try:
                with self.store.transaction() as cur:
                    self.store.claim(cur, TRACKING, start)
                    for notice in notices:
                        key = f"escalation:{notice.follow_up_id}:{notice.level}"
                        added += _insert(cur, key, "escalation", notice.school_id,
                                         notice.model_dump_json(), now)
                    self.store.advance(cur, TRACKING, start, end)
            except StaleTracking:
                continue  # another scheduler queued this page first

    def _notice(self, event: Case.FollowUpEscalated) -> EscalationNotice:
        row = self.caretrail.read.task(str(event.follow_up_id), self.caretrail.clock())
        if row is not None:
            kind, school_id, due_at = row.kind, row.school_id, row.due_at
            role, assignee = row.assignee_role, row.assignee_id
        else:  # the view lags this event: ask the case as of the escalation
            case = self.caretrail.cases.get_case(event.originator_id, version=event.originator_version)
            task = case.follow_ups[event.follow_up_id]
            kind, school_id, due_at = task.kind, case.school_id, task.due_at
            role, assignee = task.assignee_role.value, task.assignee_id
        return EscalationNotice(
            case_id=str(event.originator_id), follow_up_id=str(event.follow_up_id),
            school_id=school_id, kind=kind, assignee_role=role, assignee_id=assignee,
            level=event.level, to_role=event.to_role.value, days_overdue=event.days_overdue,
            due_at=due_at, escalated_at=event.timestamp,
        )

    def add_digest(self, digest: SchoolDigest, day: date) -> bool:
        """Queue a school's digest for ``day``; False if that day's digest was already queued."""
        key = f"digest:{digest.school_id}:{day.isoformat()}"
        with self.store.transaction() as cur:
            return bool(_insert(cur, key, "digest", digest.school_id, digest.model_dump_json(),
                                iso(self.caretrail.clock())))

    # ------------------------------------------------------------ delivering
    def deliver(self, notifier: Notifier, *, max_consecutive_failures: int = 3) -> DeliveryReport:
        """Send what is due, escalations in batches, at most ``messages_per_run`` messages.

        Stops early (the rest is deferred, not charged an attempt) after
        ``max_consecutive_failures`` failures in a row: a dead endpoint does not stall it.
        """
        report = DeliveryReport()
        failures = 0
        now = self.caretrail.clock()
        most = self.messages_per_run * self.batch_size
        with self.store.reader() as cur:
            cur.execute(
                f"SELECT {', '.join(COLUMNS)} FROM notification_outbox "
                "WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, message_key "
                "LIMIT ?",
                # Group robots take ~20 messages a minute: the rest waits for the next run.
                (iso(now), most),
            )
            due = [_entry(r) for r in cur.fetchall()]
        groups = self._groups(due)
        for group in groups[: self.messages_per_run]:
            if failures >= max_consecutive_failures:
                report.deferred += len(group)
                continue
            message = _message(group)
            try:
                notifier.send(message)
            except Exception as e:  # a notifier's bug must not stop delivery either
                failures += 1
                reason = str(e) if isinstance(e, DeliveryFailed) else f"{type(e).__name__}: {e}"
                gave_up = self._failed(group, reason, now)
                report.failed += len(group) - gave_up
                report.gave_up += gave_up
                continue
            failures = 0
            self._sent(group, now)
            report.sent += len(group)
        left = len(groups) > self.messages_per_run or len(due) == most
        report.backlog = left and not (report.failed or report.gave_up or report.deferred)
        return report

    def _groups(self, due: Sequence[OutboxEntry]) -> list[list[OutboxEntry]]:
        escalations = [e for e in due if e.kind == "escalation"]
        groups = [escalations[i : i + self.batch_size] for i in range(0, len(escalations), self.batch_size)]
        return groups + [[e] for e in due if e.kind != "escalation"]

    def _sent(self, group: Sequence[OutboxEntry], now: datetime) -> None:
        with self.store.transaction() as cur:
            for entry in group:
                cur.execute(
                    "UPDATE notification_outbox SET status = 'sent', sent_at = ?, "
                    "attempts = attempts + 1, last_error = NULL WHERE message_key = ?",
                    (iso(now), entry.message_key),
                )

    def _failed(self, group: Sequence[OutboxEntry], reason: str, now: datetime) -> int:
        """Record a failed attempt on each row; return how many rows were given up."""
        gave_up = 0
        with self.store.transaction() as cur:
            for entry in group:
                attempts = entry.attempts + 1
                delay = min(self.max_backoff_seconds, self.retry_seconds * 2 ** (attempts - 1))
                status = "failed" if attempts >= self.max_attempts else "pending"
                gave_up += status == "failed"
                retry_at = now + timedelta(seconds=delay)
                cur.execute(
                    "UPDATE notification_outbox SET status = ?, attempts = ?, next_attempt_at = ?, "
                    "last_error = ? WHERE message_key = ?",
                    (status, attempts, iso(retry_at), reason[:500], entry.message_key),
                )
                event = "notification_gave_up" if status == "failed" else "notification_failed"
                (log.error if status == "failed" else log.warning)(
                    event, message_key=entry.message_key, school_id=entry.school_id,
                    attempts=attempts, reason=reason, retry_at=None if status == "failed" else iso(retry_at),
                )
        return gave_up

    def requeue_failed(self, *, school_id: str | None = None) -> int:
        """Give given-up messages their attempts back, due now; return how many.

        For an operator, once the webhook works again: the next delivery run sends them.
        """
        sql = (
            "UPDATE notification_outbox SET status = 'pending', attempts = 0, next_attempt_at = ? "
            "WHERE status = 'failed'"
        )
        params: tuple[Any, ...] = (iso(self.caretrail.clock()),)
        if school_id is not None:
            sql += " AND school_id = ?"
            params += (school_id,)
        with self.store.transaction() as cur:
            cur.execute(sql, params)
            return int(cur.rowcount)

    # ------------------------------------------------------------ reading
    def forget_case(self, case_id: str) -> int:
        """Drop the case's escalations not yet sent (the case was erased: nobody is to be
        told about it); returns how many. Sent ones stay, as the record of what was sent
        (they hold ids and kinds, no personal data)."""
        with self.store.transaction() as cur:
            cur.execute(
                "DELETE FROM notification_outbox WHERE kind = 'escalation' AND status <> 'sent' "
                "AND payload LIKE ?", (f'%"case_id":"{case_id}"%',),
            )
            return int(cur.rowcount)

    def entries(self, status: str | None = None) -> list[OutboxEntry]:
        """Every row (or those with ``status``), oldest first."""
        sql = f"SELECT {', '.join(COLUMNS)} FROM notification_outbox"
        params: tuple[Any, ...] = ()
        if status is not None:
            sql += " WHERE status = ?"
            params = (status,)
        with self.store.reader() as cur:
            cur.execute(sql + " ORDER BY created_at, message_key", params)
            return [_entry(r) for r in cur.fetchall()]

    def close(self) -> None:
        """Close the outbox's store."""
        self.store.close()

    def counts(self) -> dict[str, int]:
        """Rows per status."""
        with self.store.reader() as cur:
            cur.execute("SELECT status, COUNT(*) FROM notification_outbox GROUP BY status")
            return {status: int(n) for status, n in cur.fetchall()}


def _insert(cur: Any, key: str, kind: str, school_id: str, payload: str, now: str | None) -> int:
    cur.execute(
        f"INSERT INTO notification_outbox ({', '.join(COLUMNS)}) "
        "VALUES (?, ?, ?, ?, 'pending', 0, ?, NULL, ?, NULL) ON CONFLICT (message_key) DO NOTHING",
        (key, kind, school_id, payload, now, now),
    )
    return max(0, int(cur.rowcount))


def _entry(row: Sequence[Any]) -> OutboxEntry:
    data = dict(zip(COLUMNS, row, strict=True))
    for column in ("next_attempt_at", "created_at", "sent_at"):
        data[column] = from_iso(data[column])
    return OutboxEntry(**data)


def _message(group: Sequence[OutboxEntry]) -> EscalationBatch | SchoolDigest:
    if group[0].kind == "escalation":
        return EscalationBatch(
            notices=tuple(EscalationNotice.model_validate_json(e.payload) for e in group)
        )
    return MESSAGE.validate_json(group[0].payload)
