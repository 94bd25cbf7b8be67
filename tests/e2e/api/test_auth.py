"""Bearer tokens: missing, malformed, unknown, expired, revoked, disabled; stored only as hashes."""

from __future__ import annotations

import sqlite3

from adapters.driven.auth.models import UserRole
from tests.e2e.api.conftest import Api


def _problem_type(response: object) -> str:
    return response.json()["type"]  # type: ignore[attr-defined, no-any-return]


def test_a_request_without_a_token_is_401_with_a_bearer_challenge(api: Api) -> None:
    response = api.get("/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert _problem_type(response) == "/api/v1/problems/unauthenticated"


def test_malformed_and_unknown_tokens_are_401(api: Api) -> None:
    assert api.get("/me", token="nonsense").status_code == 401
    assert api.get("/me", token="ct_" + "A" * 43).status_code == 401
    assert api.get("/me", headers={"Authorization": "Basic YWJjOmRlZg=="}).status_code == 401


def test_a_token_stops_working_when_it_expires(api: Api) -> None:
    api.accounts.add_user("short-lived", UserRole.TEACHER, ["school-a"])
    token = api.accounts.issue_token("short-lived", days=1).token
    assert api.get("/me", token=token).status_code == 200
    api.clock.advance(days=1)
    assert api.get("/me", token=token).status_code == 401


def test_a_revoked_token_stops_working_and_others_keep_working(api: Api) -> None:
    api.accounts.add_user("two-devices", UserRole.TEACHER, ["school-a"])
    laptop = api.accounts.issue_token("two-devices", label="laptop")
    phone = api.accounts.issue_token("two-devices", label="phone")
    assert api.accounts.revoke_token(laptop.record.token_id)
    assert api.get("/me", token=laptop.token).status_code == 401
    assert api.get("/me", token=phone.token).status_code == 200


def test_disabling_a_user_locks_out_every_token(api: Api) -> None:
    assert api.get("/me", who="teacher").status_code == 200
    api.accounts.disable_user("a-teacher")
    assert api.get("/me", who="teacher").status_code == 401


def test_replacing_a_labelled_token_revokes_the_previous_one(api: Api) -> None:
    old = api.accounts.issue_token("a-supervisor", label="make-run")
    new = api.accounts.issue_token("a-supervisor", label="make-run", replace=True)
    assert api.get("/me", token=old.token).status_code == 401
    assert api.get("/me", token=new.token).status_code == 200


def test_the_store_keeps_only_keyed_hashes_of_tokens(api: Api) -> None:
    path = api.caretrail.settings.sqlite_dir / "auth.sqlite"
    with sqlite3.connect(path) as db:
        stored = [row[0] for row in db.execute("SELECT token_hash FROM tokens")]
    tokens = set(api.tokens.values())
    assert stored
    assert not tokens & set(stored)
    assert not any(t in (path.read_bytes().decode("latin-1")) for t in tokens)
    assert {api.accounts.token_hash(t) for t in tokens} <= set(stored)


def test_an_admin_manages_users_but_reads_no_case(api: Api) -> None:
    case_id = api.identify()["case_id"]
    assert api.get(f"/cases/{case_id}", who="admin").status_code == 403
    assert api.get("/cases", who="admin").status_code == 403
    assert api.get("/me", who="admin").status_code == 200


def test_a_revocation_from_another_process_takes_effect_when_the_cache_expires(api: Api) -> None:
    from adapters.driven.auth.accounts import Accounts, key_file

    seconds = [1000.0]
    key = key_file(api.caretrail.settings.sqlite_dir / "auth.key")
    served = Accounts(api.accounts.store, key, api.clock, cache_seconds=5, monotonic=lambda: seconds[0])
    cli = Accounts(api.accounts.store, key, api.clock)  # another process
    issued = cli.issue_token("a-teacher", label="elsewhere")
    assert served.authenticate(issued.token) is not None
    cli.revoke_token(issued.record.token_id)
    seconds[0] += 4.9
    assert served.authenticate(issued.token) is not None  # still trusted from the cache
    seconds[0] += 0.2
    assert served.authenticate(issued.token) is None
