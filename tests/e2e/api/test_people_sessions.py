"""Sessions: who a cookie stands for, until logout, idleness, expiry or a disabled user; hashes only."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.bootstrap import build_accounts
from adapters.driven.auth.accounts import AccountError, Accounts
from adapters.driven.auth.models import UserRole
from adapters.settings import Settings
from tests.e2e.api.conftest import PASSWORD, give_password
from tests.fakes import FakeClock


def test_a_session_stands_for_its_user_with_a_csrf_token_and_a_loggable_id(
    accounts: Accounts, clock: FakeClock
) -> None:
    give_password(accounts, "t1")
    issued = accounts.login("t1", PASSWORD, address="10.0.0.1")
    assert re.fullmatch(r"ses_[A-Za-z0-9_-]{43}", issued.token)
    assert issued.expires_at == clock() + timedelta(hours=12)
    principal = accounts.session(issued.token)
    assert principal is not None
    assert (principal.user_id, principal.role, principal.schools, principal.display_name) == (
        "t1", UserRole.TEACHER, ("s1",), "王老师")
    assert principal.csrf_token == issued.csrf_token
    assert principal.csrf_token not in issued.token
    assert re.fullmatch(r"[0-9a-f]{12}", principal.session_id)
    assert principal.session_id == issued.session_id
    assert principal.expires_at == issued.expires_at


@pytest.mark.parametrize("token", ["", "ses_", "ses_" + "A" * 43, "inv_" + "A" * 43, "ct_" + "A" * 43,
                                   "ses_" + "A" * 42 + "=", "x" * 10_000])
def test_junk_and_unknown_tokens_are_no_session(accounts: Accounts, token: str) -> None:
    assert accounts.session(token) is None
    assert accounts.logout(token) is False


def test_a_session_ends_after_two_hours_without_a_request(accounts: Accounts, clock: FakeClock) -> None:
    token = give_password(accounts, "t1")
    clock.advance(minutes=119)
    assert accounts.session(token) is not None
    clock.advance(minutes=119)
    assert accounts.session(token) is not None  # the request before kept it alive
    clock.advance(minutes=120, seconds=1)
    assert accounts.session(token) is None
    clock.advance(minutes=1)
    assert accounts.session(token) is None


def test_a_session_ends_twelve_hours_after_the_login_however_busy(
    accounts: Accounts, clock: FakeClock
) -> None:
    token = give_password(accounts, "t1")
    for _ in range(7):
        clock.advance(minutes=100)
        assert accounts.session(token) is not None
    clock.advance(minutes=19)
    assert accounts.session(token) is not None
    clock.advance(minutes=1)
    assert accounts.session(token) is None


def test_a_sessions_last_request_is_written_at_most_once_a_minute(
    accounts: Accounts, clock: FakeClock
) -> None:
    token = give_password(accounts, "t1")
    start = clock()

    def last_seen() -> object:
        found = accounts.store.find_session(accounts.token_hash(token))
        assert found is not None
        return found[0].last_seen_at

    clock.advance(seconds=60)
    assert accounts.session(token) is not None
    assert last_seen() == start
    clock.advance(seconds=1)
    assert accounts.session(token) is not None
    assert last_seen() == clock()


def test_logout_ends_the_session_at_once_in_every_process(
    accounts: Accounts, tmp_path: Path, clock: FakeClock
) -> None:
    token = give_password(accounts, "t1")
    other = accounts.login("t1", PASSWORD, address="10.0.0.1").token
    elsewhere = build_accounts(Settings(data_dir=tmp_path / "data"), clock)
    assert elsewhere.session(token) is not None
    assert accounts.logout(token)
    assert elsewhere.session(token) is None
    assert accounts.session(token) is None
    assert not accounts.logout(token)
    assert elsewhere.session(other) is not None
    elsewhere.close()


def test_ending_a_users_sessions_leaves_the_others(accounts: Accounts) -> None:
    first = give_password(accounts, "t1")
    second = accounts.login("t1", PASSWORD, address="10.0.0.1").token
    theirs = give_password(accounts, "t2")
    assert accounts.end_sessions("t1") == 2
    assert (accounts.session(first), accounts.session(second)) == (None, None)
    assert accounts.session(theirs) is not None
    assert accounts.end_sessions("t1") == 0
    with pytest.raises(AccountError, match="no user ghost"):
        accounts.end_sessions("ghost")


def test_a_disabled_users_sessions_stop_at_once(accounts: Accounts, clock: FakeClock) -> None:
    token = give_password(accounts, "t1")
    accounts.disable_user("t1")
    assert accounts.session(token) is None
    theirs = give_password(accounts, "t2")
    accounts.store.disable_user("t2", clock())  # disabled without ending the sessions
    assert accounts.session(theirs) is None


def test_the_store_keeps_only_keyed_hashes_of_invitation_and_session_tokens(
    accounts: Accounts, tmp_path: Path
) -> None:
    used = accounts.invite("t1")
    session = accounts.set_password(used.token, PASSWORD)
    login = accounts.login("t1", PASSWORD, address="10.0.0.1")
    pending = accounts.invite("t2")
    tokens = {used.token, session.token, login.token, pending.token}
    files = sorted((tmp_path / "data").glob("auth.sqlite*"))  # the WAL holds the latest writes
    assert files
    stored = b"".join(path.read_bytes() for path in files)
    for token in tokens:
        assert token.encode() not in stored
        assert accounts.token_hash(token).encode() in stored  # the bytes read hold the rows
    with sqlite3.connect(tmp_path / "data" / "auth.sqlite") as db:
        hashes = {row[0] for row in db.execute("SELECT session_hash FROM sessions")}
        hashes |= {row[0] for row in db.execute("SELECT token_hash FROM invitations")}
        kept = db.execute("SELECT hash FROM passwords").fetchone()[0]
    assert {accounts.token_hash(t) for t in tokens} <= hashes
    assert kept.startswith("$argon2id$")
    assert PASSWORD.encode() not in stored
