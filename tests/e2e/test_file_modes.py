"""The data directory's files are their owner's alone (0600, directories 0700): after
``caretrail demo`` from the shell, and when a process that never set its umask builds
caretrail (the modes are explicit, not only the command line's umask 077).

``caretrail serve`` is checked with the least-privilege scenario
(``tests/e2e/test_privacy_in_the_open.py``), on the data directory it served.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.bootstrap import build, build_accounts, build_outbox
from adapters.settings import Settings
from tests.conftest import TEACHER, identify
from tests.e2e.file_modes import modes, wider_than_private
from tests.e2e.test_cli import CARETRAIL
from tests.fakes import FakeClock


@pytest.fixture
def open_umask() -> Iterator[None]:
    """This process with the usual umask 022 (files 0644 unless made otherwise)."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def test_a_demo_loaded_from_the_shell_leaves_only_private_files(tmp_path: Path) -> None:
    data = tmp_path / "deployment" / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    env["CARETRAIL_DATA_DIR"] = str(data)
    done = subprocess.run([CARETRAIL, "demo", "--schools", "1"], capture_output=True, text=True,
                          env=env, timeout=600, check=False, preexec_fn=lambda: os.umask(0o022))
    assert done.returncode == 0, done.stderr
    found = modes(data)
    assert {"events.sqlite", "id.namespace", "views"} <= set(found), found  # -wal: gone at close
    assert any(name.startswith("views/") and name.endswith(".sqlite") for name in found)
    assert wider_than_private(data) == {}
    assert modes(tmp_path / "deployment")["."] == 0o700  # a parent it had to make too


def test_caretrail_built_in_a_process_with_umask_022_still_makes_private_files(
    tmp_path: Path, clock: FakeClock, open_umask: None
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    caretrail = build(settings, clock=clock)
    accounts = build_accounts(settings, clock)
    outbox = build_outbox(caretrail)
    try:
        outbox.setup()
        accounts.add_user(TEACHER.user_id, "teacher", ["s1"])
        accounts.issue_token(TEACHER.user_id, days=1)
        identify(caretrail.cases, clock)
        caretrail.runner.catch_up()
        found = modes(settings.data_dir)
        for name in ("events.sqlite", "events.sqlite-wal", "events.sqlite-shm", "auth.sqlite",
                     "auth.sqlite-wal", "auth.key", "id.namespace", "views/outbox.sqlite"):
            assert name in found, sorted(found)
        assert wider_than_private(settings.data_dir) == {}
    finally:
        outbox.close()
        accounts.close()
        caretrail.close()


def test_a_data_directory_the_operator_made_keeps_its_mode(
    tmp_path: Path, clock: FakeClock, open_umask: None
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o750)
    os.chmod(data, 0o750)  # e.g. a group that runs backups
    caretrail = build(Settings(data_dir=data), clock=clock)
    try:
        identify(caretrail.cases, clock)
    finally:
        caretrail.close()
    assert modes(data)["."] == 0o750
    assert {name: mode for name, mode in modes(data).items() if name != "."} == {
        name: 0o700 if (data / name).is_dir() else 0o600 for name in modes(data) if name != "."}
