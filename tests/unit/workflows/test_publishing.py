"""Publishing a new version of a workflow changes no existing case; new cases get it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from adapters.bootstrap import case_service
from adapters.driven.events.environment import event_store_env
from adapters.settings import Settings
from domain.errors import InvalidCommand
from domain.values import CommandContext, WorkflowRef
from tests.conftest import SUPERVISOR, TEACHER, identify
from tests.fakes import FakeClock
from tests.unit.domain.journeys import one_open
from workflows.commands import RecordHomeVisit
from workflows.registry import BUILTIN_DIR, Registry
from workflows.services import CaseService

#: The newest version shipped (what new cases get today), and the one a test publishes.
CURRENT = Registry.load().latest("left_behind").ref
NEXT = WorkflowRef(name="left_behind", version=CURRENT.version + 1)


def publish_next(directory: Path) -> Path:
    """The next version: home visits within 10 days (not 14), pairing within 3 (not 7)."""
    text = (BUILTIN_DIR / f"left_behind.v{CURRENT.version}.toml").read_text(encoding="utf-8")
    for old, new in [
        (f"version = {CURRENT.version}", f"version = {NEXT.version}"),
        ('on_enter = ["identified"]\ndue_days = 14', 'on_enter = ["identified"]\ndue_days = 10'),
        ('on_enter = ["visited"]\ndue_days = 7', 'on_enter = ["visited"]\ndue_days = 3'),
    ]:
        assert text.count(old) == 1
        text = text.replace(old, new)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"left_behind.v{NEXT.version}.toml"
    path.write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def store(tmp_path: Path) -> dict[str, str]:
    """The environment of one SQLite event store, shared by the 'before' and 'after' services."""
    return event_store_env(Settings(data_dir=tmp_path / "data"))


@contextmanager
def open_service(env: dict[str, str], registry: Registry, clock: FakeClock) -> Iterator[CaseService]:
    """A case service on ``env``, closed afterwards (as a process restart would)."""
    service = case_service(Settings(), env, registry=registry, clock=clock)
    try:
        yield service
    finally:
        service.close()


def test_publishing_a_version_changes_no_existing_case_and_new_cases_get_it(
    tmp_path: Path, store: dict[str, str], clock: FakeClock
) -> None:
    with open_service(store, Registry.load(), clock) as before:
        old_id = identify(before, clock, 1).case_id
        old_history = [e.model_dump() for e in before.history(old_id)]

    registry = Registry.load(publish_next(tmp_path / "definitions"))
    assert [w.ref for w in registry][-2:] == [CURRENT, NEXT]
    with open_service(store, registry, clock) as after:
        assert [e.model_dump() for e in after.history(old_id)] == old_history
        assert after.get_case(old_id).workflow == CURRENT

        new = identify(after, clock, 2)
        assert after.get_case(new.case_id).workflow == NEXT
        assert one_open(after.get_case(new.case_id), "home_visit").due_at == clock() + timedelta(days=10)
        assert one_open(after.get_case(old_id), "home_visit").due_at == clock() + timedelta(days=14)

        visited = clock.advance(days=1)
        for case_id in (old_id, new.case_id):
            after.handle(RecordHomeVisit(case_id=case_id, occurred_at=visited, guardian_met=True), TEACHER)
        old_pairing = one_open(after.get_case(old_id), "mentor_pairing")
        new_pairing = one_open(after.get_case(new.case_id), "mentor_pairing")
        assert old_pairing.due_at == visited + timedelta(days=7)
        assert new_pairing.due_at == visited + timedelta(days=3)
        assert {e.workflow for e in after.history(old_id)} == {CURRENT}
        assert {e.workflow for e in after.history(new.case_id)} == {NEXT}


def test_a_case_refuses_a_command_decided_under_another_version(
    tmp_path: Path, service: CaseService, clock: FakeClock
) -> None:
    case_id = identify(service, clock).case_id
    case = service.get_case(case_id)
    newer = Registry.load(publish_next(tmp_path)).get(NEXT)
    ctx = CommandContext(actor=SUPERVISOR, command_id=uuid4(), occurred_at=clock(), recorded_at=clock())
    with pytest.raises(InvalidCommand, match=f"follows {CURRENT}, not {NEXT}"):
        case.record_home_visit(newer, ctx, guardian_met=True)
    assert case.pending_events == []
