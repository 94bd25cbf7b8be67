"""Copy an event store into another, in log order, and verify the copy by replay.

Used to move a school's SQLite store to PostgreSQL (``caretrail migrate --from``).
Stored events are copied byte for byte (topics, versions and bodies, so the same
master key must be configured on both sides, and the case keys are copied too:
:func:`copy_keys`); notification ids are the target's own. A store written in plain text
(before encryption was the default) is *converted* instead: each event decoded and
encoded again by the target (``reencode``), so it is encrypted there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent


class CopyError(Exception):
    """Raised when the target holds other events or the copy does not match its source."""


@dataclass
class CopyReport:
    """What a copy did."""

    events: int
    aggregates: int


def copy_keys(source: Any, target: Any, *, batch_size: int = 1000) -> int:
    """Copy the case keys (wrapped, and the tombstones of erased cases) of ``source`` to
    ``target`` (Applications whose mappers hold a key ring); returns how many rows."""
    rows = list(source.mapper.keys.store.rows(batch_size))
    for start in range(0, len(rows), batch_size):
        target.mapper.keys.store.put_rows(rows[start:start + batch_size])
    return len(rows)


def reencodes(source: Any, target: Any) -> bool:
    """Whether a copy converts: a plain-text source into an encrypted target."""
    return source.mapper.cipher is None and target.mapper.cipher is not None


def copy_events(
    source: Any,
    target: Any,
    *,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> CopyReport:
    """Copy every stored event of ``source`` (an Application) into ``target``, in log order.

    A target that already holds events must hold exactly the source's first events, in
    order: what an interrupted copy left. The copy then goes on after them (so running the
    same command again finishes it); any other target is refused before anything is written.
    """
    copied, position, aggregates = _common_prefix(source, target, batch_size, progress)
    reencode = reencodes(source, target)
    while True:
        notes = source.recorder.select_notifications(
            start=position, limit=batch_size, inclusive_of_start=False
        )
        if not notes:
            break
        target.recorder.insert_events([
            target.mapper.to_stored_event(source.mapper.to_domain_event(n)) if reencode
            else StoredEvent(originator_id=n.originator_id, originator_version=n.originator_version,
                             topic=n.topic, state=n.state)
            for n in notes
        ])
        aggregates.update(n.originator_id for n in notes)
        copied += len(notes)
        position = notes[-1].id
        if progress is not None:
            progress(len(notes))
    return CopyReport(events=copied, aggregates=len(aggregates))


def _common_prefix(
    source: Any, target: Any, batch_size: int, progress: Callable[[int], None] | None
) -> tuple[int, int | None, set[UUID]]:
    """How many events the target already holds, all equal to the source's first ones; the
    source position after them; their aggregates. CopyError if the target differs."""
    src_pos: int | None = None
    dst_pos: int | None = None
    count = 0
    aggregates: set[UUID] = set()
    while True:
        dst = target.recorder.select_notifications(start=dst_pos, limit=batch_size,
                                                   inclusive_of_start=False)
        if not dst:
            return count, src_pos, aggregates
        src = source.recorder.select_notifications(start=src_pos, limit=len(dst),
                                                   inclusive_of_start=False)
        if len(src) < len(dst) or any(
            not _same(source, target, a, b) for a, b in zip(src, dst, strict=True)
        ):
            raise CopyError(
                "the target store holds other events; copy only into an empty store (or the "
                "one an interrupted copy of this source left)"
            )
        aggregates.update(n.originator_id for n in dst)
        count += len(dst)
        src_pos, dst_pos = src[-1].id, dst[-1].id
        if progress is not None:
            progress(len(dst))


def _key(n: Any) -> tuple[Any, ...]:
    return (n.originator_id, n.originator_version, n.topic, n.state)


def _same(source: Any, target: Any, a: Any, b: Any) -> bool:
    """Whether ``b`` (in the target) is the copy of ``a``: the same bytes, or, in a
    conversion, the same event (encrypted bodies differ at every encoding)."""
    if not reencodes(source, target):
        return _key(a) == _key(b)
    return _key(a)[:3] == _key(b)[:3] and (
        source.mapper.to_domain_event(a) == target.mapper.to_domain_event(b)
    )


def verify_copy(
    source: Any, target: Any, *, batch_size: int = 1000, progress: Callable[[int], None] | None = None
) -> int:
    """Check both logs hold the same events in the same order, and that every aggregate of
    the target replays (decodes and rebuilds). Returns the number of aggregates replayed."""
    src_pos: int | None = None
    dst_pos: int | None = None
    seen: set[UUID] = set()
    while True:
        src = source.recorder.select_notifications(start=src_pos, limit=batch_size,
                                                   inclusive_of_start=False)
        dst = target.recorder.select_notifications(start=dst_pos, limit=batch_size,
                                                   inclusive_of_start=False)
        if len(src) != len(dst):
            raise CopyError(f"the copy has a different number of events after {dst_pos}")
        if not src:
            break
        for a, b in zip(src, dst, strict=True):
            if not _same(source, target, a, b):
                raise CopyError(
                    f"event {a.originator_id} v{a.originator_version} differs in the copy"
                )
            seen.add(b.originator_id)
        src_pos, dst_pos = src[-1].id, dst[-1].id
    for n, aggregate_id in enumerate(seen, 1):
        target.repository.get(aggregate_id)
        if progress is not None and n % 100 == 0:
            progress(100)
    return len(seen)
