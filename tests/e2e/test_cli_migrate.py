"""`caretrail migrate --from`: a copy that refuses bad sources before writing, finishes an
interrupted copy when run again, and announces none of the copied history."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import StoredEvent

from adapters.bootstrap import build, view_stores
from adapters.driven.notify.outbox import TRACKING
from adapters.settings import Settings
from tests.conftest import identify
from tests.e2e.test_cli import caretrail
from tests.fakes import FakeClock


def _source(data: Path, cases: int = 3, cipher_key: str | None = None) -> int:
    """A small SQLite store; its number of events."""
    clock = FakeClock(datetime(2026, 11, 2, tzinfo=UTC))
    caretrail = build(Settings(data_dir=data, cipher_key=cipher_key), clock=clock)
    try:
        for n in range(1, cases + 1):
            identify(caretrail.cases, clock, n=n)
        return caretrail.cases.position()
    finally:
        caretrail.close()


def _events(data: Path) -> int:
    caretrail = build(Settings(data_dir=data), clock=lambda: datetime.now(UTC))
    try:
        return caretrail.cases.position()
    finally:
        caretrail.close()


def _positions(data: Path) -> tuple[int, int, list[int]]:
    """(events, outbox position, view positions) of a store."""
    caretrail = build(Settings(data_dir=data), clock=lambda: datetime.now(UTC))
    try:
        outbox = view_stores(caretrail.settings, ["outbox"])["outbox"]
        try:
            at = outbox.position(TRACKING)[0]
        finally:
            outbox.close()
        return caretrail.cases.position(), at, [v.position for v in caretrail.runner.status()]
    finally:
        caretrail.close()


def test_a_copy_announces_no_history_and_builds_the_views(tmp_path: Path) -> None:
    events = _source(tmp_path / "old")
    done = caretrail(tmp_path / "new", "migrate", "--from", f"sqlite:///{tmp_path / 'old'}", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["copied_events"] == events
    assert _positions(tmp_path / "new") == (events, events, [events] * 3)


def test_a_copy_keeps_the_sources_id_namespace(tmp_path: Path) -> None:
    _source(tmp_path / "old")
    done = caretrail(tmp_path / "new", "migrate", "--from", f"sqlite:///{tmp_path / 'old'}")
    assert done.returncode == 0, done.stderr
    kept = [(d / "id.namespace").read_text() for d in (tmp_path / "old", tmp_path / "new")]
    assert kept[0] == kept[1]


def test_an_interrupted_copy_is_finished_by_running_the_command_again(tmp_path: Path) -> None:
    events = _source(tmp_path / "old")
    # What a copy killed half-way leaves: the source's first events, and an outbox at 0.
    old = build(Settings(data_dir=tmp_path / "old"), clock=lambda: datetime.now(UTC))
    # (The copy keeps the source's id namespace in the target's `id.namespace` first, and
    # the source's master key in its `master.key`.)
    (tmp_path / "new").mkdir()
    shutil.copy(tmp_path / "old" / "master.key", tmp_path / "new" / "master.key")
    new = build(Settings(data_dir=tmp_path / "new", id_namespace=old.cases.id_namespace),
                clock=lambda: datetime.now(UTC))
    try:
        first = old.cases.recorder.select_notifications(start=None, limit=events // 2)
        new.cases.recorder.insert_events([
            StoredEvent(originator_id=n.originator_id, originator_version=n.originator_version,
                        topic=n.topic, state=n.state) for n in first
        ])
    finally:
        old.close()
        new.close()
    done = caretrail(tmp_path / "new", "migrate", "--from", f"sqlite:///{tmp_path / 'old'}", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["copied_events"] == events
    assert _positions(tmp_path / "new") == (events, events, [events] * 3)


def test_a_target_holding_other_events_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    _source(tmp_path / "old", cases=3)
    other = _source(tmp_path / "new", cases=1)  # same school and student: different case ids
    done = caretrail(tmp_path / "new", "migrate", "--from", f"sqlite:///{tmp_path / 'old'}")
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]  # after the progress bar's label
    assert last.startswith("caretrail: copy failed: the target store holds other events")
    assert _events(tmp_path / "new") == other


def test_a_source_this_configuration_cannot_read_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    _source(tmp_path / "old", cipher_key=AESCipher.create_key(32))
    done = caretrail(tmp_path / "new", "migrate", "--from", f"sqlite:///{tmp_path / 'old'}")
    assert done.returncode == 1
    assert "CARETRAIL_CIPHER_KEY" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://x", "--from must be a sqlite:/// URL"),
    ("sqlite:///nowhere", "no caretrail store in"),
])
def test_a_bad_source_is_refused_before_the_target_is_created(
    tmp_path: Path, url: str, message: str
) -> None:
    done = caretrail(tmp_path / "new", "migrate", "--from", url)
    assert done.returncode == 1
    assert message in done.stderr
    assert not (tmp_path / "new").exists()


def test_a_store_is_not_copied_into_itself(tmp_path: Path) -> None:
    events = _source(tmp_path / "old")
    done = caretrail(tmp_path / "old", "migrate", "--from", f"sqlite:///{tmp_path / 'old'}")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == "caretrail: --from names the target store itself"
    assert _events(tmp_path / "old") == events
