"""Access-log entries of concurrent requests share a commit; none is answered unrecorded."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from adapters.bootstrap import build_accounts
from adapters.driven.auth.group_commit import GroupCommit
from adapters.driven.auth.models import UserRole
from adapters.settings import Settings
from tests.fakes import FakeClock


class HeldDisk:
    """A write that keeps what it wrote, and holds the first write until told to go on."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.first_started = threading.Event()
        self.go_on = threading.Event()
        self.fail_on = fail_on

    def write(self, items: Sequence[str]) -> None:
        if not self.batches:
            self.first_started.set()
            self.go_on.wait(timeout=10)
        if self.fail_on in items:
            raise OSError("disk full")
        self.batches.append(list(items))


def _while_first_write_is_held(disk: HeldDisk, group: GroupCommit[str],
                               later: list[str]) -> dict[str, BaseException | None]:
    """"a" is being written when every item of ``later`` is recorded by a thread of its own."""
    outcome: dict[str, BaseException | None] = {}

    def record(item: str) -> None:
        try:
            group.record([item])
            outcome[item] = None
        except OSError as e:
            outcome[item] = e

    first = threading.Thread(target=record, args=("a",))
    first.start()
    assert disk.first_started.wait(timeout=10)
    others = [threading.Thread(target=record, args=(item,)) for item in later]
    for thread in others:
        thread.start()
    while group.queued < len(later):
        threading.Event().wait(0.001)  # polling the threads' progress, not waiting for time
    disk.go_on.set()
    for thread in [first, *others]:
        thread.join(timeout=10)
    return outcome


def test_entries_queued_during_a_commit_are_written_together_in_the_next() -> None:
    disk = HeldDisk()
    group: GroupCommit[str] = GroupCommit(disk.write)
    outcome = _while_first_write_is_held(disk, group, ["b", "c", "d"])
    assert outcome == dict.fromkeys("abcd")
    assert disk.batches[0] == ["a"]
    assert sorted(disk.batches[1]) == ["b", "c", "d"]
    assert len(disk.batches) == 2


def test_a_failed_commit_fails_every_request_whose_entries_it_held() -> None:
    disk = HeldDisk(fail_on="c")
    group: GroupCommit[str] = GroupCommit(disk.write)
    outcome = _while_first_write_is_held(disk, group, ["b", "c", "d"])
    assert outcome["a"] is None
    assert all(isinstance(outcome[item], OSError) for item in "bcd")
    assert disk.batches == [["a"]]
    group.record(["e"])  # the next commit is not held back by the failed one
    assert disk.batches == [["a"], ["e"]]


def test_every_read_of_many_threads_is_in_the_access_log(tmp_path: Path) -> None:
    accounts = build_accounts(Settings(data_dir=tmp_path / "data"), FakeClock())
    accounts.add_user("t1", UserRole.TEACHER, ["s1"])
    user = accounts.store.get_user("t1")
    assert user is not None
    principal = accounts.authenticate(accounts.issue_token("t1").token)

    def read_cases(n: int) -> None:
        for round_ in range(5):
            accounts.record_accesses(principal, [(f"case-{n}-{round_}-{k}", "s1") for k in range(3)],
                                     resource="web-tasks", purpose="task list", request_id=None)

    threads = [threading.Thread(target=read_cases, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    logged = accounts.store.access_log(limit=1000)
    accounts.close()
    assert sorted(e.case_id for e in logged) == sorted(
        f"case-{n}-{r}-{k}" for n in range(8) for r in range(5) for k in range(3))


@pytest.mark.parametrize("items", [[], ()])
def test_nothing_to_record_writes_nothing(items: Sequence[str]) -> None:
    disk = HeldDisk()
    disk.go_on.set()
    GroupCommit(disk.write).record(items)
    assert disk.batches == []
