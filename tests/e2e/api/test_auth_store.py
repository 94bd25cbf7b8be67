"""The AuthStore contract: every driver must pass it (SQLite here; add PostgreSQL to DRIVERS).

People's half (passwords, invitations, sessions, failed logins) is at the end.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.driven.auth.models import AccessEntry, Session, StoredInvitation, Token, User, UserRole
from adapters.driven.auth.port import AuthStore, UserExists
from adapters.driven.auth.sqlite import SQLiteAuthStore
from adapters.driving.api.idempotency import holder_ended, this_process
from tests.crashes import claim_then_die

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
    end = (everything[-1].entry_id or 0) + 1
    latest = store.access_log(before=end, limit=2)
    assert [e.request_id for e in latest] == ["r4", "r3"]
    older = store.access_log(before=latest[-1].entry_id, case_id="c0", limit=10)
    assert [e.request_id for e in older] == ["r0"]


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


# --------------------------------------------------------------------------- people
def _invitation(user_id: str = "u1", hours: int = 72, purpose: str = "invite") -> StoredInvitation:
    return StoredInvitation(user_id=user_id, purpose=purpose, created_at=T0,  # type: ignore[arg-type]
                            expires_at=T0 + timedelta(hours=hours))


def _session(user_id: str = "u1", at: datetime = T0, hours: int = 12) -> Session:
    return Session(user_id=user_id, csrf_token=f"csrf-{at:%H%M}", created_at=at, last_seen_at=at,
                   expires_at=at + timedelta(hours=hours))


def _open(store: AuthStore, session_hash: str) -> bool:
    found = store.find_session(session_hash)
    return found is not None and found[0].ended_at is None


def test_a_password_hash_is_kept_per_user_and_a_rehash_waits_for_no_new_password(store: AuthStore) -> None:
    store.add_user(_user())
    assert store.password_hash("u1") is None
    store.add_invitation(_invitation(), "inv-1")
    assert store.use_invitation("inv-1", "hash-1", _session(), "ses-1")
    assert store.password_hash("u1") == "hash-1"
    assert not store.rehash_password("u1", "hash-0", "hash-2")  # changed meanwhile
    assert store.rehash_password("u1", "hash-1", "hash-2")
    assert store.password_hash("u1") == "hash-2"


def test_a_new_invitation_withdraws_the_users_earlier_unused_ones(store: AuthStore) -> None:
    store.add_user(_user())
    store.add_user(_user("u2"))
    assert store.add_invitation(_invitation(), "inv-1") == 0
    store.add_invitation(_invitation("u2"), "inv-other")
    assert store.add_invitation(_invitation(purpose="reset"), "inv-2") == 1
    first = store.find_invitation("inv-1")
    assert first is not None
    assert first[0].used_at == T0
    second = store.find_invitation("inv-2")
    assert second is not None
    assert (second[0], second[1].user_id) == (_invitation(purpose="reset"), "u1")
    other = store.find_invitation("inv-other")
    assert other is not None
    assert other[0].used_at is None
    assert store.find_invitation("u1") is None


def test_using_an_invitation_sets_the_password_ends_the_sessions_and_adds_one(store: AuthStore) -> None:
    store.add_user(_user())
    store.add_session(_session(), "ses-old")
    store.add_invitation(_invitation(purpose="reset"), "inv-1")
    later = T0 + timedelta(hours=1)
    assert store.use_invitation("inv-1", "hash-1", _session(at=later), "ses-new")
    assert not _open(store, "ses-old")
    found = store.find_session("ses-new")
    assert found is not None
    assert found[0] == _session(at=later)
    used = store.find_invitation("inv-1")
    assert used is not None
    assert used[0].used_at == later
    assert not store.use_invitation("inv-1", "hash-2", _session(at=later), "ses-again")
    assert store.password_hash("u1") == "hash-1"
    assert store.find_session("ses-again") is None


def test_an_expired_a_withdrawn_or_a_disabled_users_invitation_writes_nothing(store: AuthStore) -> None:
    store.add_user(_user())
    store.add_user(_user("u2"))
    store.add_invitation(_invitation(hours=1), "inv-1")
    assert not store.use_invitation("inv-1", "h", _session(at=T0 + timedelta(hours=1)), "ses-1")
    assert not store.use_invitation("inv-1", "h", _session("u2"), "ses-1")  # not u2's invitation
    store.add_invitation(_invitation("u2"), "inv-2")
    store.disable_user("u2", T0)
    assert not store.use_invitation("inv-2", "h", _session("u2"), "ses-2")
    assert not store.use_invitation("nothing", "h", _session(), "ses-3")
    assert (store.password_hash("u1"), store.password_hash("u2")) == (None, None)
    assert [store.find_session(h) for h in ("ses-1", "ses-2", "ses-3")] == [None, None, None]


def test_sessions_are_found_by_hash_touched_and_ended_one_or_all(store: AuthStore) -> None:
    store.add_user(_user())
    for name in ("a", "b", "c"):
        store.add_session(_session(), f"ses-{name}")
    later = T0 + timedelta(minutes=5)
    store.touch_session("ses-a", later)
    store.touch_session("ses-a", T0)  # never back in time
    found = store.find_session("ses-a")
    assert found is not None
    assert (found[0].last_seen_at, found[1].user_id) == (later, "u1")
    assert store.find_session("u1") is None
    assert store.end_session("ses-a", later)
    assert not store.end_session("ses-a", later)
    assert not _open(store, "ses-a")
    assert store.end_sessions("u1", later) == 2
    assert store.end_sessions("u1", later) == 0
    assert not _open(store, "ses-b")


def test_a_new_session_drops_the_users_ended_and_expired_ones(store: AuthStore) -> None:
    store.add_user(_user())
    store.add_user(_user("u2"))
    store.add_session(_session(hours=1), "ses-expiring")
    store.add_session(_session(), "ses-ended")
    store.add_session(_session(), "ses-open")
    store.add_session(_session("u2", hours=1), "ses-u2")
    store.end_session("ses-ended", T0)
    store.add_session(_session(at=T0 + timedelta(hours=2)), "ses-new")
    kept = [h for h in ("ses-expiring", "ses-ended", "ses-open", "ses-u2") if store.find_session(h)]
    assert kept == ["ses-open", "ses-u2"]


def test_failed_logins_are_counted_per_key_since_a_moment_and_cleared(store: AuthStore) -> None:
    for minute in range(3):
        store.record_failure(["acct", "addr"], T0 + timedelta(minutes=minute), forget_before=T0)
    assert store.recent_failures("acct", T0) == (3, T0 + timedelta(minutes=2))
    assert store.recent_failures("acct", T0 + timedelta(minutes=1)) == (2, T0 + timedelta(minutes=2))
    assert store.recent_failures("other", T0) == (0, None)
    store.clear_failures("acct")
    assert store.recent_failures("acct", T0) == (0, None)
    assert store.recent_failures("addr", T0)[0] == 3
    store.record_failure(["addr"], T0 + timedelta(minutes=30), forget_before=T0 + timedelta(minutes=15))
    assert store.recent_failures("addr", T0 - timedelta(days=1)) == (1, T0 + timedelta(minutes=30))


def test_of_two_threads_using_one_invitation_exactly_one_wins(store: AuthStore) -> None:
    store.add_user(_user())
    store.add_invitation(_invitation(), "inv-1")
    start = threading.Barrier(2)
    won: dict[str, bool] = {}

    def use(name: str) -> None:
        start.wait()
        won[name] = store.use_invitation("inv-1", f"hash-{name}", _session(), f"ses-{name}")

    threads = [threading.Thread(target=use, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won.values()) == [False, True]
    winner = next(name for name, ok in won.items() if ok)
    assert store.password_hash("u1") == f"hash-{winner}"
    assert [store.find_session(f"ses-{n}") is not None for n in ("a", "b")] == [won["a"], won["b"]]


def test_several_reads_are_recorded_in_one_go_in_order(store: AuthStore) -> None:
    entries = [AccessEntry(at=T0, user_id="u1", role="teacher", case_id=f"c{n}", school_id="s1",
                           resource="web-tasks", purpose="task list", request_id="r") for n in range(3)]
    store.record_accesses(entries)
    store.record_accesses([])
    assert [e.case_id for e in store.access_log()] == ["c0", "c1", "c2"]


def test_a_persons_language_is_remembered_and_changed(store: AuthStore) -> None:
    store.add_user(_user())
    assert store.language("u1") is None
    store.set_language("u1", "en")
    store.set_language("u1", "zh_CN")
    assert store.language("u1") == "zh_CN"
    assert store.language("nobody") is None


def test_a_claim_whose_holder_was_killed_is_taken_over_at_once(
    store: AuthStore, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if isinstance(store, SQLiteAuthStore):
        spec: dict[str, str] = {"driver": "sqlite", "path": str(store.path)}
    else:
        spec = {"driver": "postgres", "url": request.getfixturevalue("pg_url"),
                "schema": request.getfixturevalue("pg_schema")}
    claim_then_die(spec, "u1", "k", "fp", T0)  # claimed, then SIGKILL before the answer
    me = this_process(os.getpid())
    # Right away (no claim timeout passed): the dead holder's claim is free.
    assert store.claim_key("u1", "k", "fp", T0, stale_before=T0, holder=me,
                           holder_ended=holder_ended) is None
    # A claim whose holder runs stays in flight; so does one named by no known process.
    in_flight = store.claim_key("u1", "k", "fp", T0, stale_before=T0, holder=me,
                                holder_ended=holder_ended)
    assert in_flight is not None
    assert (in_flight.status, in_flight.body) == (0, me)
    store.claim_key("u1", "old", "fp", T0, stale_before=T0)
    assert store.claim_key("u1", "old", "fp", T0, stale_before=T0, holder=me,
                           holder_ended=holder_ended) is not None
