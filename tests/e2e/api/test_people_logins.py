"""Logging in with a password: one answer for every failure, a growing wait after repeated ones."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from structlog.testing import capture_logs

from adapters.bootstrap import build_accounts
from adapters.driven.auth.accounts import Accounts, LoginFailed, LoginThrottled
from adapters.driven.auth.models import UserRole
from adapters.settings import Settings
from tests.e2e.api.conftest import PASSWORD, give_password
from tests.fakes import FakeClock

WRONG = "not the password"


def _fail(accounts: Accounts, user_id: str = "t1", address: str = "10.0.0.1") -> None:
    with pytest.raises(LoginFailed):
        accounts.login(user_id, WRONG, address=address)


def _wait(accounts: Accounts, user_id: str = "t1", password: str = WRONG, address: str = "10.0.0.1") -> int:
    with pytest.raises(LoginThrottled) as throttled:
        accounts.login(user_id, password, address=address)
    return throttled.value.retry_after


def test_a_wrong_password_an_unknown_user_and_a_disabled_user_get_the_same_answer(
    accounts: Accounts,
) -> None:
    give_password(accounts, "t1")
    accounts.add_user("gone", UserRole.TEACHER, ["s1"])
    give_password(accounts, "gone")
    accounts.disable_user("gone")
    answers = []
    for user_id, password in (("t1", WRONG), ("ghost", PASSWORD), ("t2", PASSWORD), ("gone", PASSWORD)):
        with pytest.raises(LoginFailed) as failed:
            accounts.login(user_id, password, address="10.0.0.1")
        answers.append(str(failed.value))
    assert answers == ["wrong user name or password"] * 4


class CountingHasher(PasswordHasher):
    """The real hasher, counting its verifications."""

    def __init__(self, **parameters: Any) -> None:
        super().__init__(**parameters)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


def test_every_login_verifies_one_hash_whether_the_user_exists_or_not(accounts: Accounts) -> None:
    give_password(accounts, "t1")
    counting = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts.people.hasher = counting
    for user_id, password in (("t1", WRONG), ("ghost", WRONG), ("t2", WRONG), ("t1", "x" * 5000),
                              ("t1", PASSWORD)):
        with contextlib.suppress(LoginFailed):
            accounts.login(user_id, password, address=f"10.0.0.{counting.verified}")
    assert counting.verified == 5


def test_the_sixth_and_later_wrong_attempts_of_an_account_wait_30_60_120_seconds(
    accounts: Accounts, clock: FakeClock
) -> None:
    give_password(accounts, "t1")
    for n in range(5):
        _fail(accounts, address=f"10.0.0.{n}")
    waits = []
    for n in range(4):
        waits.append(_wait(accounts, address=f"10.0.1.{n}"))
        clock.advance(seconds=waits[-1] - 1)
        assert _wait(accounts, address=f"10.0.1.{n}") == 1
        clock.advance(seconds=1)
        _fail(accounts, address=f"10.0.1.{n}")
    assert waits == [30, 60, 120, 240]
    _fail(accounts, "t2", address="10.0.2.1")  # another account does not wait


def test_the_wait_grows_to_at_most_15_minutes(tmp_path: Path, clock: FakeClock) -> None:
    # A window longer than the waits, so that the first failures still count at the end.
    accounts = build_accounts(Settings(data_dir=tmp_path / "data", login_window_minutes=120), clock)
    for _ in range(5):
        _fail(accounts, "ghost")
    waits = []
    for _ in range(7):
        waits.append(_wait(accounts, "ghost"))
        clock.advance(seconds=waits[-1])
        _fail(accounts, "ghost")
    assert waits == [30, 60, 120, 240, 480, 900, 900]
    accounts.close()


def test_failures_from_one_address_throttle_every_account_it_tries(accounts: Accounts) -> None:
    give_password(accounts, "t1")
    for n in range(5):
        _fail(accounts, f"guess-{n}", address="10.9.9.9")
    assert _wait(accounts, "t1", PASSWORD, address="10.9.9.9") == 30
    assert accounts.login("t1", PASSWORD, address="10.0.0.1").user_id == "t1"


def test_a_correct_password_waits_too_and_after_the_wait_it_works_and_clears_the_failures(
    accounts: Accounts, clock: FakeClock
) -> None:
    give_password(accounts, "t1")
    for n in range(5):
        _fail(accounts, address=f"10.0.0.{n}")
    assert _wait(accounts, password=PASSWORD, address="10.0.1.1") == 30
    clock.advance(seconds=30)
    assert accounts.login("t1", PASSWORD, address="10.0.1.1").user_id == "t1"
    for n in range(5):
        _fail(accounts, address=f"10.0.2.{n}")  # counted afresh: no wait before the sixth
    assert _wait(accounts, address="10.0.3.1") == 30


def test_failures_older_than_the_window_are_forgotten(accounts: Accounts, clock: FakeClock) -> None:
    for n in range(5):
        _fail(accounts, address=f"10.0.0.{n}")
    clock.advance(minutes=15, seconds=1)
    _fail(accounts)
    _fail(accounts)  # one failure in the window, not six


def test_a_password_hashed_with_other_parameters_is_rehashed_at_login(
    accounts: Accounts, tmp_path: Path, clock: FakeClock
) -> None:
    give_password(accounts, "t1")
    before = accounts.store.password_hash("t1")
    assert before is not None
    assert "t=1" in before
    stronger = build_accounts(Settings(data_dir=tmp_path / "data", password_time_cost=2), clock)
    stronger.login("t1", PASSWORD, address="10.0.0.1")
    after = stronger.store.password_hash("t1")
    assert after is not None
    assert "t=2" in after
    stronger.login("t1", PASSWORD, address="10.0.0.1")
    assert stronger.store.password_hash("t1") == after
    assert accounts.login("t1", PASSWORD, address="10.0.0.1").user_id == "t1"
    stronger.close()


def test_log_lines_name_the_user_and_the_address_and_never_a_password_or_a_token(
    accounts: Accounts,
) -> None:
    with capture_logs() as logs:
        invitation = accounts.invite("t1")
        first = accounts.set_password(invitation.token, PASSWORD, address="10.0.0.1")
        second = accounts.login("t1", PASSWORD, address="10.0.0.2")
        for _ in range(5):
            _fail(accounts, address="10.0.0.3")
        _wait(accounts, address="10.0.0.3")
        accounts.logout(second.token)
    events = [line["event"] for line in logs]
    assert events == ["password_set", "login", *["login_failed"] * 5, "login_throttled", "logout"]
    for line in logs:
        if line["event"] in ("login", "login_throttled"):
            assert set(line) == {"event", "log_level", "user_id", "address"}
        if line["event"] == "login_failed":
            assert set(line) == {"event", "log_level", "user_id", "known_user", "address"}
    written = repr(logs)
    for secret in (PASSWORD, WRONG, invitation.token, first.token, first.csrf_token, second.token,
                   second.csrf_token):
        assert secret not in written


def test_a_user_name_that_is_no_users_is_not_logged(accounts: Accounts) -> None:
    give_password(accounts, "t1")
    with capture_logs() as logs:
        _fail(accounts, user_id="Mima-2026!")  # a password typed in the user name box
    assert [(line["user_id"], line["known_user"]) for line in logs] == [(None, False)]
    assert "Mima-2026!" not in repr(logs)
