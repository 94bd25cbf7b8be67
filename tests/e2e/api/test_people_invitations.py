"""Invitation and reset links: issued for active users, used once, expiring, withdrawn by newer ones."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.bootstrap import build_accounts
from adapters.driven.auth.accounts import (
    AccountError,
    Accounts,
    InvitationInvalid,
    IssuedSession,
    LoginFailed,
    WeakPassword,
)
from adapters.driven.auth.models import UserRole
from adapters.settings import Settings
from tests.e2e.api.conftest import PASSWORD, give_password
from tests.fakes import FakeClock


def test_an_invitation_sets_a_password_once_and_logs_the_person_in(accounts: Accounts) -> None:
    issued = accounts.invite("t1")
    assert issued.token.startswith("inv_")
    assert (issued.user_id, issued.purpose) == ("t1", "invite")
    invitation = accounts.invitation(issued.token)
    assert invitation is not None
    assert (invitation.user_id, invitation.display_name, invitation.purpose, invitation.expires_at) == (
        "t1", "王老师", "invite", issued.expires_at)
    session = accounts.set_password(issued.token, PASSWORD, address="10.0.0.1")
    assert session.user_id == "t1"
    principal = accounts.session(session.token)
    assert principal is not None
    assert principal.user_id == "t1"
    assert accounts.invitation(issued.token) is None
    with pytest.raises(InvitationInvalid):
        accounts.set_password(issued.token, "another password")
    assert accounts.login("t1", PASSWORD, address="10.0.0.1").user_id == "t1"
    with pytest.raises(LoginFailed):
        accounts.login("t1", "another password", address="10.0.0.1")


def test_an_invitation_expires_after_72_hours(accounts: Accounts, clock: FakeClock) -> None:
    issued = accounts.invite("t1")
    assert issued.expires_at == clock() + timedelta(hours=72)
    clock.advance(hours=71, minutes=59)
    assert accounts.invitation(issued.token) is not None
    clock.advance(minutes=1)
    assert accounts.invitation(issued.token) is None
    with pytest.raises(InvitationInvalid, match="unknown, already used or expired"):
        accounts.set_password(issued.token, PASSWORD)
    assert accounts.store.password_hash("t1") is None


def test_a_new_invitation_withdraws_the_earlier_one(accounts: Accounts) -> None:
    first = accounts.invite("t1")
    second = accounts.invite("t1")
    assert accounts.invitation(first.token) is None
    with pytest.raises(InvitationInvalid):
        accounts.set_password(first.token, PASSWORD)
    assert accounts.set_password(second.token, PASSWORD).user_id == "t1"


@pytest.mark.parametrize(("user_id", "reset", "message"), [
    ("ghost", False, "no user ghost"),
    ("gone", False, "user gone is disabled"),
    ("t1", True, "user t1 has no password to reset yet: invite them instead"),
    ("t2", False, "user t2 already has a password: send a password reset instead"),
])
def test_an_invitation_needs_an_active_user_and_the_purpose_that_fits(
    accounts: Accounts, user_id: str, reset: bool, message: str
) -> None:
    accounts.add_user("gone", UserRole.TEACHER, ["s1"])
    accounts.disable_user("gone")
    give_password(accounts, "t2")
    with pytest.raises(AccountError) as refused:
        accounts.invite(user_id, reset=reset)
    assert str(refused.value) == message


def test_disabling_a_user_stops_their_invitation(accounts: Accounts) -> None:
    issued = accounts.invite("t1")
    accounts.disable_user("t1")
    assert accounts.invitation(issued.token) is None
    with pytest.raises(InvitationInvalid):
        accounts.set_password(issued.token, PASSWORD)


@pytest.mark.parametrize("token", ["", "inv_", "inv_" + "A" * 43, "ct_" + "A" * 43, "ses_" + "A" * 43,
                                   "inv_" + "A" * 42 + "!", "x" * 10_000])
def test_junk_and_unknown_tokens_are_no_invitation(accounts: Accounts, token: str) -> None:
    assert accounts.invitation(token) is None
    with pytest.raises(InvitationInvalid):
        accounts.set_password(token, PASSWORD)


@pytest.mark.parametrize(("password", "rule", "message"), [
    ("short", "length", "a password has 8 to 128 characters, not 5"),
    ("x" * 129, "length", "a password has 8 to 128 characters, not 129"),
    (" " * 10, "blank", "a password is more than spaces"),
    ("\t \u3000" * 3, "blank", "a password is more than spaces"),
    ("School-T1", "user_id", "a password is not the user name"),
])
def test_a_weak_password_is_refused_naming_the_rule_and_the_invitation_stays_usable(
    accounts: Accounts, password: str, rule: str, message: str
) -> None:
    accounts.add_user("school-t1", UserRole.TEACHER, ["s1"])
    issued = accounts.invite("school-t1")
    with pytest.raises(WeakPassword) as refused:
        accounts.set_password(issued.token, password)
    assert (refused.value.rule, str(refused.value)) == (rule, message)
    assert accounts.invitation(issued.token) is not None
    assert accounts.store.password_hash("school-t1") is None
    assert accounts.set_password(issued.token, PASSWORD).user_id == "school-t1"


def test_a_reset_sets_a_new_password_and_ends_the_users_sessions(accounts: Accounts) -> None:
    first = give_password(accounts, "t1")
    second = accounts.login("t1", PASSWORD, address="10.0.0.2").token
    other = give_password(accounts, "t2")
    reset = accounts.invite("t1", reset=True)
    assert reset.purpose == "reset"
    assert accounts.session(first) is not None  # the old password works until the link is used
    after = accounts.set_password(reset.token, "a new password")
    assert accounts.session(first) is None
    assert accounts.session(second) is None
    assert accounts.session(after.token) is not None
    assert accounts.session(other) is not None
    with pytest.raises(LoginFailed):
        accounts.login("t1", PASSWORD, address="10.0.0.2")
    assert accounts.login("t1", "a new password", address="10.0.0.2").user_id == "t1"


def _race(accounts: Accounts, token: str) -> list[IssuedSession | Exception]:
    """Two threads set a password through one invitation at once; what each got."""
    start = threading.Barrier(2)
    results: list[IssuedSession | Exception] = []

    def use(password: str) -> None:
        start.wait()
        try:
            results.append(accounts.set_password(token, password))
        except InvitationInvalid as e:
            results.append(e)

    threads = [threading.Thread(target=use, args=(p,)) for p in ("password one", "password two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def racing_accounts(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Accounts]:
    settings = Settings(data_dir=tmp_path / "data")
    if request.param == "postgres":
        settings = Settings(data_dir=tmp_path / "data", database_url=request.getfixturevalue("pg_url"),
                            postgres_schema=request.getfixturevalue("pg_schema"))
    found = build_accounts(settings, clock, create_tables=True)
    found.add_user("t1", UserRole.TEACHER, ["s1"])
    yield found
    found.close()


def test_of_two_threads_using_one_invitation_exactly_one_wins(racing_accounts: Accounts) -> None:
    issued = racing_accounts.invite("t1")
    results = _race(racing_accounts, issued.token)
    sessions = [r for r in results if isinstance(r, IssuedSession)]
    assert len(sessions) == 1
    assert len([r for r in results if isinstance(r, InvitationInvalid)]) == 1
    assert racing_accounts.session(sessions[0].token) is not None
    works = []
    for password in ("password one", "password two"):
        with contextlib.suppress(LoginFailed):
            works.append(racing_accounts.login("t1", password, address="10.0.0.1"))
    assert len(works) == 1
