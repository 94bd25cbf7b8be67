"""The file leader lock: one holder at a time, released on release, lost if its file is replaced."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from adapters.bootstrap import build_lock
from adapters.driven.locks.sqlite import FileLeaderLock
from adapters.settings import Settings


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "scheduler.lock"


def test_only_one_lock_object_holds_the_file_at_a_time(path: Path) -> None:
    first, second = FileLeaderLock(path), FileLeaderLock(path)
    assert first.acquire(blocking=False)
    assert not second.acquire(blocking=False)
    assert not second.acquire(timeout=0.05)
    assert first.is_held()
    assert not second.is_held()
    first.release()
    assert second.acquire(blocking=False)
    assert not first.acquire(blocking=False)
    second.release()


def test_acquiring_twice_is_harmless_and_release_is_idempotent(path: Path) -> None:
    lock = FileLeaderLock(path)
    assert lock.acquire()
    assert lock.acquire(blocking=False)
    lock.release()
    lock.release()
    assert not lock.is_held()


def test_the_lock_file_names_its_holder_until_released(path: Path) -> None:
    lock = FileLeaderLock(path)
    with lock:
        holder = lock.holder()
        assert holder is not None
        assert (holder.pid, holder.host) == (os.getpid(), socket.gethostname())
        assert holder.since is not None
        assert str(holder).startswith(f"pid {os.getpid()} on {socket.gethostname()} since ")
        assert FileLeaderLock(path).holder() == holder  # anyone can read who holds it
    assert lock.holder() is None
    assert path.exists()  # never deleted: a recreated file could be locked twice


def test_a_holder_whose_file_was_replaced_knows_it_lost_the_lock(path: Path) -> None:
    lock = FileLeaderLock(path)
    assert lock.acquire()
    assert lock.keep_alive()
    replacement = path.with_suffix(".new")
    replacement.write_text("")
    os.replace(replacement, path)
    assert not lock.keep_alive()
    other = FileLeaderLock(path)
    assert other.acquire(blocking=False)  # the new file is free: this is why keep_alive checks
    other.release()
    lock.release()


def test_a_deleted_lock_file_also_means_the_lock_is_lost(path: Path) -> None:
    lock = FileLeaderLock(path)
    lock.acquire()
    path.unlink()
    assert not lock.keep_alive()
    lock.release()


def test_sqlite_stores_get_a_file_lock_next_to_their_files(tmp_path: Path) -> None:
    lock = build_lock(Settings(data_dir=tmp_path / "d"))
    assert isinstance(lock, FileLeaderLock)
    assert lock.path == tmp_path / "d" / "scheduler.lock"


def test_postgresql_stores_get_an_advisory_lock_per_schema(tmp_path: Path) -> None:
    from adapters.driven.locks.postgres import PostgresLeaderLock

    settings = Settings(data_dir=tmp_path, database_url="postgresql://u@127.0.0.1:5432/db",
                        postgres_schema="county_a")
    lock = build_lock(settings)
    assert isinstance(lock, PostgresLeaderLock)
    other = build_lock(settings.model_copy(update={"postgres_schema": "county_b"}))
    assert isinstance(other, PostgresLeaderLock)
    assert lock.key != other.key
