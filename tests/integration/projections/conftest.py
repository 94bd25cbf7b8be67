"""Helpers for the view tests: gaps in the log, positions, a crash-test event store."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

import pytest
from eventsourcing.persistence import StoredEvent

from adapters.bootstrap import Caretrail, case_service
from adapters.driven.events.environment import event_store_env
from adapters.settings import Settings
from tests.fakes import FakeClock


def leave_gap(caretrail: Caretrail, size: int) -> int:
    """Make the next save's notification id jump by ``size``; return the id it will get.

    PostgreSQL leaves gaps whenever an insert rolls back (its sequence moved on);
    SQLite gives the next rowid, so a placeholder row is put at the far end of the gap
    and :func:`close_gap` removes it once a real event follows it.
    """
    recorder: Any = caretrail.cases.recorder
    head = recorder.max_notification_id() or 0
    if caretrail.settings.is_postgres:
        import psycopg

        table = f'"{recorder.datastore.schema}".{recorder.events_table_name}'
        assert caretrail.settings.database_url is not None
        with psycopg.connect(caretrail.settings.database_url, autocommit=True) as conn:
            conn.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s)",
                (table, head + size),
            )
        return head + size + 1
    with sqlite3.connect(caretrail.settings.sqlite_dir / "events.sqlite") as conn:
        conn.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, 'gap', 1, 'gap', x'')",
            (head + size,),
        )
    conn.close()
    return head + size + 1


def close_gap(caretrail: Caretrail) -> None:
    """Remove SQLite's placeholder row (nothing to do on PostgreSQL)."""
    if caretrail.settings.is_postgres:
        return
    with sqlite3.connect(caretrail.settings.sqlite_dir / "events.sqlite") as conn:
        conn.execute("DELETE FROM stored_events WHERE originator_id = 'gap'")
    conn.close()


@pytest.fixture
def history(backend: Caretrail, clock: FakeClock) -> Caretrail:
    """The backend after a few months of every kind of step, views not yet caught up."""
    from tests.integration.projections import scenario

    scenario.run(backend.cases, clock, scenario.rich_history(cases=4))
    return backend


def positions(caretrail: Caretrail) -> dict[str, int]:
    """Each view's tracking position."""
    return {s.name: s.position for s in caretrail.runner.status()}


# --------------------------------------------------------------------------- crash store
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _remap(value: Any, copy: int) -> Any:
    """The same value in the ``copy``-th school: other ids, other school and staff ids."""
    if isinstance(value, str):
        if _UUID.match(value):
            return str(uuid5(UUID(int=copy), value))
        return value.replace("school-001", f"school-{copy:03d}")
    if isinstance(value, dict):
        return {k: _remap(v, copy) for k, v in value.items()}
    if isinstance(value, list):
        return [_remap(v, copy) for v in value]
    return value


def clone_schools(source: Any, target: Any, copies: int) -> int:
    """Write ``copies`` schools' worth of ``source``'s one-school log into ``target``.

    Each copy gets its own ids and school, and the copies' commands interleave, as
    schools of one county would; the bodies are plain JSON (the copies have no case keys).
    Returns the number of events written.
    """
    notes = []
    start = 0
    while page := source.recorder.select_notifications(start=start, limit=5000,
                                                       inclusive_of_start=False):
        notes += page
        start = page[-1].id
    commands: list[list[Any]] = []
    last = None
    for n in notes:  # consecutive events of one command were saved together
        # Decoded (the source is encrypted): the copies are written as a store in plain
        # text would be, which the target then reads as one (docs/operations.md).
        body = source.mapper.to_domain_event(n).model_dump(mode="json")
        if body["command_id"] != last:
            commands.append([])
            last = body["command_id"]
        commands[-1].append((n, body))
    out: list[StoredEvent] = []
    for command in commands:
        for copy in range(1, copies + 1):
            for n, body in command:
                mapped = body if copy == 1 else _remap(body, copy)
                out.append(StoredEvent(
                    originator_id=UUID(mapped["originator_id"]), topic=n.topic,
                    originator_version=n.originator_version,
                    state=json.dumps(mapped, ensure_ascii=False).encode(),
                ))
    for i in range(0, len(out), 5000):
        target.recorder.insert_events(out[i : i + 5000])
    return len(out)


@pytest.fixture(scope="session")
def crash_events(demo_events: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An events file of interleaved demo schools, at least 50,000 events, made once, with
    the id namespace it was written with beside it (``id.namespace``: copy both)."""
    from adapters.driven.events.namespace import FILE_NAME, keep_namespace
    from workflows.registry import Registry

    directory = tmp_path_factory.mktemp("crash-events")
    clock = FakeClock()
    registry = Registry.load()
    source = case_service(demo_events, event_store_env(demo_events), registry=registry, clock=clock)
    keep_namespace(directory / FILE_NAME, source.id_namespace)  # the first copy keeps its ids
    target_settings = Settings(data_dir=directory)
    target = case_service(target_settings, event_store_env(target_settings), registry=registry, clock=clock)
    try:
        copies = max(2, -(-50_000 // source.recorder.max_notification_id()))
        clone_schools(source, target, copies)
    finally:
        source.close()
        target.close()
    return directory / "events.sqlite"
