"""The auth store's rows: the column lists its statements select and the records they make."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from adapters.driven.auth.models import (
    AccessEntry,
    Session,
    StoredInvitation,
    StoredResponse,
    Token,
    User,
)
from projections.store import from_iso

USER_COLUMNS = "user_id, display_name, role, schools, created_at, disabled_at"
TOKEN_COLUMNS = "token_id, user_id, label, created_at, expires_at, revoked_at"  # noqa: S105 - column names
ACCESS_COLUMNS = "entry_id, at, user_id, role, case_id, school_id, resource, purpose, request_id"
INVITATION_COLUMNS = "user_id, purpose, created_at, expires_at, used_at"
SESSION_COLUMNS = "user_id, csrf_token, created_at, last_seen_at, expires_at, ended_at"


def prefixed(alias: str, columns: str) -> str:
    """A column list with each column qualified by a table alias (for joins)."""
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


def user(row: Sequence[Any]) -> User:
    """A user from a row of :data:`USER_COLUMNS`."""
    user_id, display_name, role, schools, created_at, disabled_at = row
    return User(
        user_id=user_id, display_name=display_name, role=role, schools=tuple(json.loads(schools)),
        created_at=from_iso(created_at), disabled_at=from_iso(disabled_at),
    )


def token(row: Sequence[Any]) -> Token:
    """A token from a row of :data:`TOKEN_COLUMNS`."""
    token_id, user_id, label, created_at, expires_at, revoked_at = row
    return Token(
        token_id=token_id, user_id=user_id, label=label, created_at=from_iso(created_at),
        expires_at=from_iso(expires_at), revoked_at=from_iso(revoked_at),
    )


def invitation(row: Sequence[Any]) -> StoredInvitation:
    """An invitation from a row of :data:`INVITATION_COLUMNS`."""
    user_id, purpose, created_at, expires_at, used_at = row
    return StoredInvitation(
        user_id=user_id, purpose=purpose, created_at=from_iso(created_at),
        expires_at=from_iso(expires_at), used_at=from_iso(used_at),
    )


def session(row: Sequence[Any]) -> Session:
    """A session from a row of :data:`SESSION_COLUMNS`."""
    user_id, csrf_token, created_at, last_seen_at, expires_at, ended_at = row
    return Session(
        user_id=user_id, csrf_token=csrf_token, created_at=from_iso(created_at),
        last_seen_at=from_iso(last_seen_at), expires_at=from_iso(expires_at),
        ended_at=from_iso(ended_at),
    )


def access(row: Sequence[Any]) -> AccessEntry:
    """An access entry from a row of :data:`ACCESS_COLUMNS`."""
    entry_id, at, user_id, role, case_id, school_id, resource, purpose, request_id = row
    return AccessEntry(
        entry_id=entry_id, at=from_iso(at), user_id=user_id, role=role, case_id=case_id,
        school_id=school_id, resource=resource, purpose=purpose, request_id=request_id,
    )


def response(row: Sequence[Any]) -> StoredResponse:
    """A stored response from its row (fingerprint, status, body, created_at)."""
    fingerprint, status, body, created_at = row
    return StoredResponse(
        fingerprint=fingerprint, status=status, body=bytes(body), created_at=from_iso(created_at)
    )
