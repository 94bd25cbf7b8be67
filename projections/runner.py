"""Catches the views up with the event log: batches, exactly once, resumable.

SQLite cannot push notifications (eventsourcing 9.5.6), so the runner polls; a local
save wakes it at once. Each view commits its rows and its new position together with a
compare-and-set on the position, so a crash or a competing runner never applies a
batch twice or skips one. Notifications are read and decoded once for all views, a
part of a batch at a time; a rebuild loads the rows first and builds the secondary
indexes at the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import structlog
from pydantic import BaseModel

from projections.base import Projection
from projections.gc_pause import gc_paused
from projections.store import Cursor, StaleTracking, ViewStore

log = structlog.get_logger()


class ViewStatus(BaseModel):
    """Where one view stands."""

    name: str
    position: int
    lag: int
    updated_at: str | None


class ViewRunner:
    """Feeds every view the notifications after its own position."""

    def __init__(
        self,
        app: Any,
        stores: Mapping[str, ViewStore],
        projections: Sequence[Projection],
        *,
        batch_size: int = 1000,
        poll_interval: float = 1.0,
        max_batch_size: int = 100_000,
        read_size: int = 20_000,
    ) -> None:
        self.app = app
        self.stores = dict(stores)
        self.projections = list(projections)
        self._batch_size = batch_size
        #: Far behind (a rebuild, a restart), batches double up to this size: fewer
        #: transactions, and a busy case's row or task is written once per batch, not
        #: once per event (a task scheduled and done within a batch is inserted done).
        self.max_batch_size = max(batch_size, max_batch_size)
        #: A batch is read and decoded this many notifications at a time, each part
        #: folded into the views and freed before the next: the views' folded rows stay
        #: in memory until the batch commits, the decoded events do not.
        self.read_size = read_size
        self.poll_interval = poll_interval
        # One batch at a time per process: the projections' in-memory state is shared.
        self._batch_lock = threading.RLock()
        # Where this runner left each view: its projection's memory is valid only there.
        self._left_at: dict[str, int] = {}
        # Views rebuilt without their secondary indexes yet (built once caught up).
        self._unindexed: set[str] = set()
        self._wake = threading.Event()
        self._advanced = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Consecutive failed catch-ups of the background loop, and the last one's error
        #: type (None while the loop succeeds).
        self.failures = 0
        self.failure: str | None = None

    def views(self, names: Sequence[str] | None = None) -> list[Projection]:
        """The named views (default, or no names: all), in build order; LookupError for a
        name this runner does not have, before anything is done."""
        unknown = set(names or ()) - {p.name for p in self.projections}
        if unknown:
            raise LookupError(f"unknown view(s): {', '.join(sorted(unknown))}")
        return [p for p in self.projections if not names or p.name in names]

    def only(self, names: Sequence[str]) -> ViewRunner:
        """A runner of some of these views over the same log and stores (one process's
        share of a parallel rebuild). It shares the views' objects, and so their memory,
        with this runner: use one of the two at a time."""
        chosen = self.views(names)
        return ViewRunner(
            self.app, {p.name: self.stores[p.name] for p in chosen}, chosen,
            batch_size=self._batch_size, poll_interval=self.poll_interval,
            max_batch_size=self.max_batch_size, read_size=self.read_size,
        )

    @property
    def batch_size(self) -> int:
        """The first batch of a catch-up; later ones double up to :attr:`max_batch_size`."""
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        """Setting it fixes the size of every batch (as before batches could grow)."""
        self._batch_size = self.max_batch_size = value

    # ------------------------------------------------------------ setup
    def setup(self) -> None:
        """Create the views' tables, indexes and tracking rows if missing."""
        for p in self.projections:
            store = self.stores[p.name]
            with store.transaction() as cur:
                for ddl in [*p.schema(), *p.indexes()]:
                    cur.execute(store.adapt_ddl(ddl))
                store.ensure_tracking(cur, p.name)
            self._unindexed.discard(p.name)

    # ------------------------------------------------------------ catching up
    def catch_up(
        self, progress: Callable[[int], None] | None = None, *, batch_size: int | None = None
    ) -> int:
        """Apply everything recorded so far; return how many notifications were read.

        ``batch_size`` fixes the size of every batch (default: start at
        :attr:`batch_size` and double while batches come back full).
        """
        read = 0
        size = batch_size or self.batch_size
        while True:
            done = self._catch_up_batch(size)
            if not done:
                break
            if batch_size is None and done == size:
                size = min(2 * size, self.max_batch_size)
            read += done
            if progress is not None:
                progress(done)
            with self._advanced:
                self._advanced.notify_all()
        self._build_indexes()
        return read

    def _catch_up_batch(self, size: int) -> int:
        """Read, decode and apply one batch to every view behind; 0 when all are caught up."""
        with self._batch_lock, gc_paused():  # the batch is freed before the collector resumes
            while True:
                try:
                    return self._read_and_apply(size)
                except StaleTracking:
                    # Another runner moved a view first: the whole batch rolled back (its
                    # rows stand) and its views forgot their memory; start from the tables.
                    continue

    def _read_and_apply(self, size: int) -> int:
        """One batch of up to ``size`` notifications: every view behind gets them in one
        transaction (one per store: views sharing a database share it), the rows and the
        view's new position committed together."""
        positions = self._positions()
        head = self.head()
        behind = [p for p in self.projections if positions[p.name] < head]
        if not behind:
            return 0
        to_event = self.app.mapper.to_domain_event
        read, end = 0, min(positions[p.name] for p in behind)
        active: list[tuple[Projection, Cursor]] = []  # the views claimed for this batch
        try:
            with ExitStack() as transactions:
                opened: dict[int, Cursor] = {}
                # Claimed in build order, so runners take the stores' locks in one order.
                for p in behind:
                    store = self.stores[p.name]
                    cur = opened.get(id(store))
                    if cur is None:
                        cur = opened[id(store)] = transactions.enter_context(store.transaction())
                    self._claim(p, cur, positions[p.name])
                    active.append((p, cur))
                while read < size:
                    limit = min(self.read_size, size - read)
                    notifications = self.app.recorder.select_notifications(
                        start=end, limit=limit, inclusive_of_start=False
                    )
                    if not notifications:
                        break
                    first, end = notifications[0].id, notifications[-1].id
                    part = [(n.id, to_event(n)) for n in notifications]
                    got = len(notifications)
                    read += got
                    del notifications
                    for p, cur in active:
                        position = positions[p.name]
                        if position < end:
                            p.apply(cur, part if position < first else
                                    [b for b in part if b[0] > position])
                    del part  # freed before the next part is decoded
                    if got < limit:
                        break  # the end of the log
                for p, cur in active:
                    if positions[p.name] < end:
                        p.flush(cur)
                        self.stores[p.name].advance(cur, p.name, positions[p.name], end)
        except BaseException:
            for p, _ in active:
                p.reset()
            raise
        for p, _ in active:
            self._left_at[p.name] = max(end, positions[p.name])
        return read

    def _positions(self) -> dict[str, int]:
        """Where each view stands, as its tracking row says."""
        return {p.name: self.stores[p.name].position(p.name)[0] for p in self.projections}

    def _claim(self, p: Projection, cur: Cursor, position: int) -> None:
        """Start applying to view ``p`` at ``position`` in this transaction."""
        if self._left_at.get(p.name) != position:
            p.reset()  # someone else moved the view (or this runner never did): trust only tables
        self._left_at.pop(p.name, None)
        self.stores[p.name].claim(cur, p.name, position)

    def _build_indexes(self) -> None:
        """Create the secondary indexes of rebuilt views: sorted once, not row by row.

        One thread per view: the database does the work outside the GIL, so the views'
        indexes build side by side.
        """
        pending = [p for p in self.projections if p.name in self._unindexed]
        if not pending:
            return

        def build(p: Projection) -> None:
            store = self.stores[p.name]
            for ddl in p.indexes():
                with store.transaction() as cur:
                    cur.execute(store.adapt_ddl(ddl))

        with ThreadPoolExecutor(len(pending), thread_name_prefix="indexes") as pool:
            for p, future in [(p, pool.submit(build, p)) for p in pending]:
                future.result()
                self._unindexed.discard(p.name)

    # ------------------------------------------------------------ following
    def wake(self, position: int | None = None) -> None:
        """Ask the runner to catch up now (called after a local save)."""
        self._wake.set()

    def start(self) -> None:
        """Follow the log in a background thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._follow, name="projections", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following (the current batch finishes first)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _follow(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            pause = self.follow_step()
            if self.failures:
                self._stop.wait(pause)  # back off; a local save does not cut it short
            else:
                self._wake.wait(pause)

    def follow_step(self) -> float:
        """One catch-up of the background loop; how long to wait before the next.

        A failure is logged and kept in :attr:`failure` (readiness reports it) until a
        catch-up succeeds; retries back off exponentially up to a minute, and never
        stop: a database hiccup must not stop the views.
        """
        try:
            self.catch_up()
        except Exception as e:
            self.failures += 1
            self.failure = type(e).__name__
            log.exception("projection_catch_up_failed", failures=self.failures)
            return min(60.0, self.poll_interval * 2**self.failures)
        self.failures, self.failure = 0, None
        return self.poll_interval

    def wait_for(self, position: int, timeout: float, names: Sequence[str] | None = None) -> bool:
        """Block until the views (all, or ``names``) reached ``position``; False on timeout."""
        deadline = time.monotonic() + timeout
        wanted = [p for p in self.projections if names is None or p.name in names]
        while True:
            if all(self.stores[p.name].position(p.name)[0] >= position for p in wanted):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._wake.set()
            with self._advanced:
                # Woken by a local batch; the short cap covers runners in other processes.
                self._advanced.wait(min(remaining, 0.05))

    # ------------------------------------------------------------ operations
    def status(self) -> list[ViewStatus]:
        """Position, lag and last update of every view."""
        head = self.app.recorder.max_notification_id() or 0
        result = []
        for p in self.projections:
            position, updated_at = self.stores[p.name].position(p.name)
            result.append(
                ViewStatus(name=p.name, position=position, lag=max(0, head - position),
                           updated_at=updated_at)
            )
        return result

    def rebuild(
        self,
        names: Sequence[str] | None = None,
        progress: Callable[[int], None] | None = None,
        *,
        batch_size: int | None = None,
    ) -> int:
        """Drop the named views (default: all), recreate them, and replay the log from zero.

        Rows are loaded into tables without secondary indexes, which are then built in
        one sort each. If the rebuild is interrupted, the next :meth:`setup` (any start on
        SQLite, ``caretrail migrate`` on PostgreSQL) or the next completed catch-up of
        this runner builds them.
        """
        chosen = self.views(names)
        with self._batch_lock:
            for p in chosen:
                store = self.stores[p.name]
                store.drop_tables(p.tables)
                p.reset()
                self._left_at.pop(p.name, None)
                self._unindexed.add(p.name)
                with store.transaction() as cur:
                    for ddl in p.schema():
                        cur.execute(store.adapt_ddl(ddl))
                    store.reset_tracking(cur, p.name)
        return self.catch_up(progress, batch_size=batch_size)

    def forget(self, names: Sequence[str]) -> None:
        """Drop what this runner remembers of the named views (another process rebuilt
        them): their next batch trusts only the tables."""
        with self._batch_lock:
            for p in self.projections:
                if p.name in names:
                    p.reset()
                    self._left_at.pop(p.name, None)
                    self._unindexed.discard(p.name)

    def head(self) -> int:
        """The newest notification id in the log."""
        return int(self.app.recorder.max_notification_id() or 0)
