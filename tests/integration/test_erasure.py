"""Per-case keys and erasure on real stores: SQLite files and PostgreSQL.

The child's data is sealed under its case key inside bodies encrypted under the master
key; an erasure destroys the key, and survives a restart, a rebuild of the views and a
restore of an events backup taken before it. A store written in plain text keeps working;
the master key of an encrypted store is never replaced.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from adapters.bootstrap import Caretrail, StartupError, build, build_accounts, build_outbox
from adapters.driven.events.copy import copy_events, copy_keys, verify_copy
from adapters.driven.keys.master import is_plaintext
from adapters.driving.erasure import erase_case
from adapters.driving.rebuild import rebuild_views
from adapters.settings import Settings
from domain.personal import ERASED
from domain.values import Child, ErasureReason, Guardian
from tests.conftest import SUPERVISOR, TEACHER, identify
from tests.fakes import FakeClock
from workflows.commands import AddNote, EraseCase, LogContact

CANARY = "金丝雀Kestrelwick"
PHONE = "13712345678"


@contextmanager
def opened(settings: Settings, clock: FakeClock) -> Iterator[Caretrail]:
    caretrail = build(settings, clock=clock, create_tables=True)
    try:
        yield caretrail
    finally:
        caretrail.close()


def canary_case(caretrail: Caretrail, clock: FakeClock, n: int = 1) -> UUID:
    """A case whose child, guardian's phone and a note carry the canary."""
    case_id: UUID = identify(
        caretrail.cases, clock, n, child=Child(name=CANARY, class_name="三年级2班"),
        guardian=Guardian(name=f"{CANARY}奶奶", relation="grandmother", phone=PHONE),
    ).case_id
    clock.advance(hours=1)
    caretrail.cases.handle(AddNote(case_id=case_id, text=f"{CANARY} 说想妈妈"), TEACHER)
    clock.advance(hours=1)
    caretrail.cases.handle(LogContact(case_id=case_id, party="guardian", channel="phone",
                                      summary=f"called {PHONE}"), TEACHER)
    return case_id


def master_cipher(settings: Settings) -> AESCipher:
    key = (settings.cipher_key.get_secret_value() if settings.cipher_key
           else (settings.sqlite_dir / "master.key").read_text().strip())
    return AESCipher(Environment(env={"CIPHER_KEY": key}))


def decrypted_bodies(caretrail: Caretrail) -> list[bytes]:
    """Every stored body (events and snapshots) opened with the master key."""
    cipher = master_cipher(caretrail.settings)
    notes = caretrail.cases.recorder.select_notifications(start=None, limit=10_000)
    bodies = [cipher.decrypt(n.state) for n in notes]
    if caretrail.cases.snapshots is not None:
        for case_id in {n.originator_id for n in notes}:
            recorder = caretrail.cases.snapshots.recorder
            bodies += [cipher.decrypt(s.state) for s in recorder.select_events(case_id)]
    return bodies


def hits(bodies: list[bytes]) -> int:
    return sum(CANARY.encode() in b or PHONE.encode() in b for b in bodies)


def test_personal_fields_are_sealed_under_the_case_key_even_with_the_master_key(
    backend_settings: Settings, clock: FakeClock
) -> None:
    settings = backend_settings.model_copy(update={"snapshot_interval": 2})
    with opened(settings, clock) as caretrail:
        case_id = canary_case(caretrail, clock)
        bodies = decrypted_bodies(caretrail)
        assert len(bodies) > 6
        assert hits(bodies) == 0
        assert any(b"\n" in b for b in bodies)  # the sealed values follow the JSON body
        assert b"school_id" in bodies[0]  # the skeleton is readable with the master key
        assert caretrail.cases.get_case(case_id).child.name == CANARY


def test_an_erasure_shreds_the_case_and_survives_restart_and_view_rebuild(
    backend_settings: Settings, clock: FakeClock
) -> None:
    settings = backend_settings.model_copy(update={"snapshot_interval": 2})
    with opened(settings, clock) as caretrail:
        case_id = canary_case(caretrail, clock)
        other = identify(caretrail.cases, clock, 2).case_id
        caretrail.runner.catch_up()
        before = caretrail.cases.get_case(case_id)
        audit_before = len(caretrail.read.audit_events(case_id=str(case_id), limit=100).items)
        clock.advance(hours=1)
        report = erase_case(caretrail, EraseCase(case_id=case_id, reason=ErasureReason.RETENTION),
                            SUPERVISOR)
        assert report["case_key_destroyed"]
        assert report["snapshots_shredded"] >= 1
        assert caretrail.cases.get_case(case_id).child.name == ERASED
        caretrail.runner.catch_up()
        stats = caretrail.read.stats(school_id="s1", now=clock())
    with opened(settings, clock) as caretrail:  # a restart
        assert hits(decrypted_bodies(caretrail)) == 0
        case = caretrail.cases.get_case(case_id)
        assert case.erased
        assert case.guardian.phone is None
        assert (case.state, case.follow_ups) == (before.state, before.follow_ups)
        assert all(ERASED in (getattr(e, "text", ERASED), ERASED)
                   for e in caretrail.cases.history(case_id))
        assert caretrail.cases.get_case(other).child.name == "王小明"
        rebuild_views(caretrail, jobs=1)
        assert caretrail.read.stats(school_id="s1", now=clock()) == stats
        audit = caretrail.read.audit_events(case_id=str(case_id), limit=100).items
        assert len(audit) == audit_before + 1
        assert audit[-1].summary == "personal data erased (retention)"


def test_an_erasure_purges_the_kept_responses_and_unsent_escalations(
    backend_settings: Settings, clock: FakeClock
) -> None:
    with opened(backend_settings, clock) as caretrail:
        case_id = canary_case(caretrail, clock)
        accounts = build_accounts(caretrail.settings, caretrail.clock, create_tables=True)
        outbox = build_outbox(caretrail)
        try:
            outbox.setup()
            store = accounts.store
            now = datetime.now(UTC)
            store.claim_key("t-head", "k1", "f", now, stale_before=now)
            store.complete_key("t-head", "k1", 201, f'{{"case_id":"{case_id}"}}'.encode())
            store.claim_key("t-head", "k2", "f", now, stale_before=now)
            store.complete_key("t-head", "k2", 201, b'{"case_id":"another"}')
            with outbox.store.transaction() as cur:
                cur.execute(
                    "INSERT INTO notification_outbox VALUES (?, 'escalation', 's1', ?, 'pending', 0, "
                    "'2026-01-01', NULL, '2026-01-01', NULL)", ("e1", f'{{"case_id":"{case_id}"}}'))
            report = erase_case(caretrail, EraseCase(case_id=case_id, reason="other"), SUPERVISOR,
                                accounts=accounts)
            assert report["kept_responses_removed"] == 1
            assert report["outbox_entries_removed"] == 1
            assert outbox.entries() == []
            now = datetime.now(UTC)
            assert store.claim_key("t-head", "k2", "f", now, stale_before=now) is not None
        finally:
            outbox.close()
            accounts.close()


def _backup(db: Path, to: Path) -> None:
    with sqlite3.connect(db) as src, sqlite3.connect(to) as dst:
        src.backup(dst)


def test_an_events_backup_from_before_the_erasure_stays_erased_when_restored(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    events, backup = tmp_path / "data" / "events.sqlite", tmp_path / "backup.sqlite"
    with opened(settings, clock) as caretrail:
        case_id = canary_case(caretrail, clock)
        _backup(events, backup)  # the nightly backup of the events (the keys are kept apart)
        caretrail.cases.handle(EraseCase(case_id=case_id, reason="guardian_request"), SUPERVISOR)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{events}{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, events)
    with opened(settings, clock) as caretrail:  # the restore
        case = caretrail.cases.get_case(case_id)
        assert not case.erased  # the backup has no Erased event...
        assert case.child.name == ERASED
        assert case.guardian.phone is None
        assert hits(decrypted_bodies(caretrail)) == 0
        assert [getattr(e, "text", ERASED) for e in caretrail.cases.history(case_id)] == [
            ERASED] * len(caretrail.cases.history(case_id))


def test_a_missing_master_key_with_an_encrypted_store_refuses_to_start_and_makes_none(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with opened(settings, clock) as caretrail:
        identify(caretrail.cases, clock)
    key = tmp_path / "data" / "master.key"
    assert key.stat().st_mode & 0o777 == 0o600
    kept = key.read_text()
    key.unlink()
    with pytest.raises(StartupError, match=r"master key file .* does not exist"):
        build(settings, clock=clock)
    assert not key.exists()
    key.write_text(kept)
    moved = tmp_path / "keys-elsewhere" / "master.key"
    moved.parent.mkdir()
    key.rename(moved)
    with opened(settings.model_copy(update={"cipher_key_file": moved}), clock) as caretrail:
        assert caretrail.cases.get_case(caretrail.cases.case_id_for("s1", "20260001")).child.name == "王小明"
    assert not key.exists()


def _plaintext_store(settings: Settings, clock: FakeClock) -> UUID:
    """A store as written before encryption was the default: bodies in plain JSON."""
    with opened(settings, clock) as caretrail:
        caretrail.cases.mapper.cipher = None
        caretrail.cases.mapper.keys = None
        case_id: UUID = canary_case(caretrail, clock)
    for name in ("master.key", "keys.sqlite", "keys.sqlite-wal", "keys.sqlite-shm"):
        (settings.sqlite_dir / name).unlink(missing_ok=True)
    return case_id


def test_a_plaintext_store_keeps_working_and_a_copy_converts_it(tmp_path: Path, clock: FakeClock) -> None:
    old = Settings(data_dir=tmp_path / "old")
    case_id = _plaintext_store(old, clock)
    with opened(old, clock) as caretrail:
        first = caretrail.cases.recorder.select_notifications(start=None, limit=1)[0]
        assert is_plaintext(first.state)
        assert CANARY.encode() in first.state
        assert caretrail.cases.mapper.cipher is None
        assert caretrail.cases.get_case(case_id).child.name == CANARY
        clock.advance(hours=1)
        caretrail.cases.handle(AddNote(case_id=case_id, text=f"{CANARY} again"), TEACHER)
        newest = caretrail.cases.recorder.select_notifications(start=None, limit=100)[-1]
        assert CANARY.encode() not in newest.state  # new personal data is sealed
        new = Settings(data_dir=tmp_path / "new", id_namespace=caretrail.cases.id_namespace,
                       cipher_key=(tmp_path / "old" / "master.key").read_text().strip())
        with opened(new, clock) as target:
            copy_keys(caretrail.cases, target.cases)
            assert copy_events(caretrail.cases, target.cases).events == caretrail.cases.position()
            assert verify_copy(caretrail.cases, target.cases) >= 1
            assert hits(decrypted_bodies(target)) == 0
            assert target.cases.history(case_id)[-1].text == f"{CANARY} again"


def test_a_copied_store_keeps_its_keys_and_its_erasures(tmp_path: Path, clock: FakeClock) -> None:
    old = Settings(data_dir=tmp_path / "old")
    with opened(old, clock) as caretrail:
        erased = canary_case(caretrail, clock, 1)
        kept = identify(caretrail.cases, clock, 2).case_id
        caretrail.cases.handle(EraseCase(case_id=erased, reason="left_school"), SUPERVISOR)
        key = (tmp_path / "old" / "master.key").read_text().strip()
        new = Settings(data_dir=tmp_path / "new", id_namespace=caretrail.cases.id_namespace,
                       cipher_key=key)
        with opened(new, clock) as target:
            assert copy_keys(caretrail.cases, target.cases) == 2
            copy_events(caretrail.cases, target.cases)
            verify_copy(caretrail.cases, target.cases)
            assert target.cases.get_case(kept).child.name == "王小明"
            assert target.cases.get_case(erased).child.name == ERASED
            assert target.cases.mapper.keys is not None
            row = target.cases.mapper.keys.store.get(erased)
            assert row is not None
            assert row.wrapped is None


def test_a_command_reads_the_key_store_at_most_once_and_a_repeated_one_not_at_all(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with opened(settings, clock) as caretrail:
        case_id = canary_case(caretrail, clock)
    with opened(settings, clock) as caretrail:  # a new process: no key in memory
        store = caretrail.cases.mapper.keys.store  # type: ignore[union-attr]
        reads: list[UUID] = []
        real = store.get
        monkeypatch.setattr(store, "get", lambda case_id: (reads.append(case_id), real(case_id))[1])
        counts = []
        for n in range(3):
            clock.advance(hours=1)
            caretrail.cases.handle(AddNote(case_id=case_id, text=f"note {n}"), TEACHER)
            counts.append(len(reads))
        assert counts[0] <= 1  # the first command's read (none if the start read it)
        assert counts == [counts[0]] * 3  # then none
        identify(caretrail.cases, clock, 2)
        assert len(reads) == counts[0] + 1  # a new case: its (missing) key looked up, then made
