"""The AuthStore contract: every driver must pass it (SQLite here; add PostgreSQL to DRIVERS)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.driven.auth.models import AccessEntry, Token, User, UserRole
from adapters.driven.auth.port import AuthStore, UserExists
from adapters.driven.auth.sqlite import SQLiteAuthStore

T0 = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
DRIVERS: dict[str, Callable[[Path], AuthStore]] = {
    "sqlite": lambda tmp: SQLiteAuthStore(tmp / "auth.sqlite"),
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuthStore]:
    if request.param == "postgres":
        schema = request.getfixturevalue("pg_schema")
        from adapters.driven.auth.postgres import PostgresAuthStore

        found: AuthStore = PostgresAuthStore(request.getfixturevalue("pg_url"), schema=schema)
    else:
        found = DRIVERS[request.param](tmp_path)
    found.setup()
    found.setup()  # idempotent
    yield found
    found.close()


def _user(user_id: str = "u1", *schools: str) -> User:
    return User(user_id=user_id, role=UserRole.TEACHER, schools=schools or ("s1",), created_at=T0)


def _token(token_id: str = "tk-1", user_id: str = "u1", label: str | None = None) -> Token:
    return Token(token_id=token_id, user_id=user_id, label=label, created_at=T0,
                 expires_at=T0 + timedelta(days=1))


def test_users_round_trip_and_ids_are_unique(store: AuthStore) -> None:
    store.add_user(_user("u1", "s1", "s2"))
    assert store.get_user("u1") == _user("u1", "s1", "s2")
    with pytest.raises(UserExists):
        store.add_user(_user("u1"))
    assert store.get_user("nobody") is None
    store.add_user(_user("u0"))
    assert [u.user_id for u in store.list_users()] == ["u0", "u1"]
    assert store.disable_user("u1", T0)
    assert not store.disable_user("u1", T0)
    disabled = store.get_user("u1")
    assert disabled is not None
    assert disabled.disabled_at == T0


def test_a_token_is_found_by_its_hash_only_and_revoked_once(store: AuthStore) -> None:
    store.add_user(_user())
    store.add_token(_token(), "hash-1")
    found = store.find_token("hash-1")
    assert found is not None
    assert found[0] == _token()
    assert found[1].user_id == "u1"
    assert store.find_token("tk-1") is None
    assert store.revoke_token("tk-1", T0)
    assert not store.revoke_token("tk-1", T0)
    again = store.find_token("hash-1")
    assert again is not None
    assert again[0].revoked_at == T0


def test_revoking_a_users_tokens_by_label_leaves_the_others(store: AuthStore) -> None:
    store.add_user(_user())
    store.add_token(_token("tk-a", label="laptop"), "h-a")
    store.add_token(_token("tk-b", label="phone"), "h-b")
    assert store.revoke_tokens("u1", T0, label="laptop") == 1
    assert {t.token_id: t.revoked_at for t in store.list_tokens("u1")} == {"tk-a": T0, "tk-b": None}
    assert store.revoke_tokens("u1", T0) == 1


def test_the_access_log_filters_by_school_case_user_and_time_and_pages_in_order(store: AuthStore) -> None:
    for n in range(5):
        store.record_access(AccessEntry(
            at=T0 + timedelta(minutes=n), user_id=f"u{n % 2}", role="teacher", case_id=f"c{n % 3}",
            school_id="s1" if n < 4 else "s2", resource="case", purpose="p", request_id=f"r{n}",
        ))
    everything = store.access_log()
    assert [e.request_id for e in everything] == ["r0", "r1", "r2", "r3", "r4"]
    assert [e.request_id for e in store.access_log(school_ids=["s2"])] == ["r4"]
    assert store.access_log(school_ids=[]) == []
    assert [e.request_id for e in store.access_log(case_id="c0")] == ["r0", "r3"]
    assert [e.request_id for e in store.access_log(user_id="u1")] == ["r1", "r3"]
    window = store.access_log(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
    assert [e.request_id for e in window] == ["r1", "r2"]
    first = store.access_log(limit=2)
    rest = store.access_log(after=first[-1].entry_id, limit=10)
    assert [e.request_id for e in first + rest] == [e.request_id for e in everything]


def test_an_idempotency_key_is_claimed_once_completed_released_or_taken_over(store: AuthStore) -> None:
    later = T0 + timedelta(minutes=5)
    assert store.claim_key("u1", "k", "fp", T0, stale_before=T0) is None
    in_flight = store.claim_key("u1", "k", "fp", T0, stale_before=T0)
    assert in_flight is not None
    assert in_flight.status == 0
    assert store.claim_key("u2", "k", "fp", T0, stale_before=T0) is None  # keys are per user
    assert store.claim_key("u1", "k", "fp", later, stale_before=later) is None  # abandoned: taken over
    store.complete_key("u1", "k", 201, b'{"ok":true}')
    done = store.claim_key("u1", "k", "fp", later, stale_before=later + timedelta(days=1))
    assert done is not None
    assert (done.status, done.body, done.fingerprint) == (201, b'{"ok":true}', "fp")
    store.release_key("u1", "k")  # a finished answer is never released
    assert store.claim_key("u1", "k", "fp", later, stale_before=later) is not None
    assert store.claim_key("u1", "j", "fp", T0, stale_before=T0) is None
    store.release_key("u1", "j")
    assert store.claim_key("u1", "j", "fp", T0, stale_before=T0) is None
