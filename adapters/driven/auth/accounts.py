"""Users and bearer tokens: issuing, checking, revoking; and recording who read what.

People's passwords and sessions (invitations, logins, the web pages' sessions) are
:class:`~adapters.driven.auth.people.People`; an :class:`Accounts` holds one as ``people`` and
offers its methods (``accounts.login(...)``), and its errors and results are importable here.

Tokens are opaque: ``ct_`` and 43 url-safe characters from :func:`secrets.token_urlsafe`
(256 random bits). The store keeps only ``HMAC-SHA256(key, token)``. A slow password hash
(bcrypt, argon2) exists to make guessing a *low-entropy* secret expensive; a 256-bit
random token cannot be guessed whatever the hash costs, so a fast hash is enough, and it
lets every request find its token by an indexed equality lookup. The key makes a copy of
``auth.sqlite`` alone useless even for checking a stolen token: the key lives elsewhere
(``CARETRAIL_TOKEN_KEY``, or the ``auth.key`` file created with mode 0600).
"""

from __future__ import annotations

import base64
import hmac
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

# Re-exported (``X as X``): callers import the accounts' errors and results from here.
from adapters.driven.auth.errors import AccountError as AccountError
from adapters.driven.auth.errors import InvitationInvalid as InvitationInvalid
from adapters.driven.auth.errors import LoginFailed as LoginFailed
from adapters.driven.auth.errors import LoginThrottled as LoginThrottled
from adapters.driven.auth.errors import WeakPassword as WeakPassword
from adapters.driven.auth.group_commit import GroupCommit
from adapters.driven.auth.models import (
    AccessEntry,
    Invitation,
    Principal,
    Teacher,
    Token,
    User,
    UserRole,
)
from adapters.driven.auth.models import SessionPrincipal as SessionPrincipal
from adapters.driven.auth.people import IssuedInvitation as IssuedInvitation
from adapters.driven.auth.people import IssuedSession as IssuedSession
from adapters.driven.auth.people import People, PeopleConfig
from adapters.driven.auth.port import AuthStore
from adapters.driven.auth.roster import LOGIN_ROLES, Roster
from adapters.driven.files import private_dir

TOKEN_PREFIX = "ct_"  # noqa: S105 - a public prefix, not a secret
#: The shape of a token we issue: checked before hashing, so junk costs nothing.
TOKEN_SHAPE = re.compile(r"^ct_[A-Za-z0-9_-]{43}$")
DEFAULT_TOKEN_DAYS = 90
#: How long a process trusts what it read about a token. Revoking or disabling in this
#: process takes effect at once; from another process (the CLI), within this many seconds.
#: Expiry is checked on every request.
CACHE_SECONDS = 5.0
CACHE_ENTRIES = 10_000
MAX_TOKEN_DAYS = 366


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: the only moment its secret exists outside the caller."""

    token: str
    record: Token


class Accounts:
    """Users and tokens over an :class:`AuthStore`, with the hashing key and the clock;
    people's passwords and sessions as :attr:`people`."""

    def __init__(
        self,
        store: AuthStore,
        key: bytes,
        clock: Callable[[], datetime],
        *,
        cache_seconds: float = CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        people: PeopleConfig | None = None,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        if len(key) < 16:
            raise ValueError("the token key must have at least 16 bytes")
        self.store = store
        self._key = key
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._monotonic = monotonic
        # token hash -> (monotonic time read, principal); see CACHE_SECONDS.
        self._cache: dict[str, tuple[float, Principal]] = {}
        self.people = People(store, self.token_hash, clock, people or PeopleConfig())
        zone = ZoneInfo(timezone)
        #: The schools' teacher rosters; "today" is the school's date.
        self.roster = Roster(store, lambda: clock().astimezone(zone).date())
        # Concurrent pages share the access log's commits (see group_commit).
        self._access_log: GroupCommit[AccessEntry] = GroupCommit(store.record_accesses)

    def token_hash(self, token: str) -> str:
        """The keyed hash a token is stored under."""
        return hmac.digest(self._key, token.encode(), "sha256").hex()  # hmac.new's, in one C call

    # ------------------------------------------------------------ users
    def add_user(
        self,
        user_id: str,
        role: UserRole,
        schools: Sequence[str] = (),
        display_name: str | None = None,
        *,
        if_missing: bool = False,
    ) -> tuple[User, bool]:
        """Add a user; with ``if_missing`` an identical existing user is fine.

        Returns the user and whether it was created. An existing user with another role
        or other schools is an :class:`AccountError` (no silent change of rights).
        """
        schools = tuple(dict.fromkeys(schools))
        _plain("display name", display_name, 200)
        if role is not UserRole.ADMIN and not schools:
            raise AccountError(f"a {role} needs at least one school (--school)")
        user = User(
            user_id=user_id, display_name=display_name, role=role, schools=schools,
            created_at=self.clock(),
        )
        existing = self.store.get_user(user_id)
        if existing is not None:
            same = existing.role == role and set(existing.schools) == set(schools)
            if if_missing and same and existing.disabled_at is None:
                return existing, False
            raise AccountError(
                f"user {user_id} already exists"
                + ("" if same else f" as {existing.role} of {', '.join(existing.schools) or '-'}")
                + (" and is disabled" if existing.disabled_at is not None else "")
            )
        self.store.add_user(user)
        if role is UserRole.TEACHER:  # the login names its roster record; one if none yet
            self.roster.add_missing(
                Teacher(teacher_id=user_id, school_id=s, name=display_name, roles=LOGIN_ROLES)
                for s in schools
            )
        return user, True

    def user(self, user_id: str) -> User:
        """A user by id, or :class:`AccountError`."""
        user = self.store.get_user(user_id)
        if user is None:
            raise AccountError(f"no user {user_id}")
        return user

    def disable_user(self, user_id: str) -> int:
        """Disable a user, revoke their tokens and end their sessions; how many tokens were revoked."""
        self.user(user_id)
        now = self.clock()
        self._cache.clear()
        self.store.disable_user(user_id, now)
        self.store.end_sessions(user_id, now)
        return self.store.revoke_tokens(user_id, now)

    # ------------------------------------------------------------ tokens
    def issue_token(
        self,
        user_id: str,
        *,
        days: int = DEFAULT_TOKEN_DAYS,
        label: str | None = None,
        replace: bool = False,
    ) -> IssuedToken:
        """Issue a token valid for ``days``; ``replace`` revokes the user's tokens of that label."""
        _plain("label", label, 64)
        user = self.user(user_id)
        if user.disabled_at is not None:
            raise AccountError(f"user {user_id} is disabled")
        if not 1 <= days <= MAX_TOKEN_DAYS:
            raise AccountError(f"a token lives 1 to {MAX_TOKEN_DAYS} days, not {days}")
        now = self.clock()
        if replace:
            self._cache.clear()
            self.store.revoke_tokens(user_id, now, label=label)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = Token(
            token_id="tk-" + secrets.token_hex(6), user_id=user_id, label=label, created_at=now,
            expires_at=now + timedelta(days=days),
        )
        self.store.add_token(record, self.token_hash(secret))
        return IssuedToken(token=secret, record=record)

    def revoke_token(self, token_id: str) -> bool:
        """Revoke one token by id; False if unknown or already revoked."""
        self._cache.clear()
        return self.store.revoke_token(token_id, self.clock())

    def revoke_tokens(self, user_id: str, label: str | None = None) -> int:
        """Revoke a user's active tokens (of one label if given); how many."""
        self.user(user_id)
        self._cache.clear()
        return self.store.revoke_tokens(user_id, self.clock(), label=label)

    def authenticate(self, token: str) -> Principal | None:
        """The caller a bearer token stands for, or None (unknown, expired, revoked, disabled)."""
        if not TOKEN_SHAPE.match(token):
            return None
        token_hash = self.token_hash(token)
        now = self._monotonic()
        cached = self._cache.get(token_hash)
        principal: Principal | None
        if cached is not None and now - cached[0] < self.cache_seconds:
            principal = cached[1]
        else:
            principal = self._principal(token_hash)
            if principal is None:
                return None
            if self.cache_seconds > 0:
                if len(self._cache) >= CACHE_ENTRIES:
                    self._cache.clear()
                self._cache[token_hash] = (now, principal)
        return principal if self.clock() < principal.expires_at else None

    def _principal(self, token_hash: str) -> Principal | None:
        """Who a stored token stands for, unless it is revoked or its user disabled."""
        found = self.store.find_token(token_hash)
        if found is None:
            return None
        record, user = found
        if record.revoked_at is not None or user.disabled_at is not None:
            return None
        return Principal(
            user_id=user.user_id, role=user.role, schools=user.schools, token_id=record.token_id,
            expires_at=record.expires_at,
        )

    # ------------------------------------------------------------ people (see People)
    def invite(self, user_id: str, *, reset: bool | None = False) -> IssuedInvitation:
        """A link to set a first password (``reset``: a new one; None: whichever the user
        needs); earlier unused links stop."""
        return self.people.invite(user_id, reset=reset)

    def invitation(self, token: str) -> Invitation | None:
        """The usable invitation a token stands for, or None."""
        return self.people.invitation(token)

    def set_password(self, token: str, password: str, *, address: str | None = None) -> IssuedSession:
        """Use an invitation (once): set the password, end the user's sessions, log them in."""
        return self.people.set_password(token, password, address=address)

    def login(self, user_id: str, password: str, *, address: str) -> IssuedSession:
        """Open a session for a user name and password (throttled after repeated failures)."""
        return self.people.login(user_id, password, address=address)

    def session(self, token: str) -> SessionPrincipal | None:
        """The person a session token stands for, or None."""
        return self.people.session(token)

    def logout(self, token: str) -> bool:
        """End the session of a token; False if it was unknown or already ended."""
        return self.people.logout(token)

    def end_sessions(self, user_id: str) -> int:
        """End every session of a user; how many were open."""
        return self.people.end_sessions(user_id)

    def language(self, user_id: str) -> str | None:
        """The language a person chose for the pages, or None."""
        return self.store.language(user_id)

    def set_language(self, user_id: str, language: str) -> None:
        """Remember the language a person chose for the pages (the pages check the choice)."""
        self.store.set_language(user_id, language)

    # ------------------------------------------------------------ access log
    def record_access(
        self,
        principal: Principal | SessionPrincipal,
        *,
        case_id: str,
        school_id: str | None,
        resource: str,
        purpose: str,
        request_id: str | None,
    ) -> AccessEntry:
        """Append who read which case's personal data, and why."""
        entry = AccessEntry(
            at=self.clock(), user_id=principal.user_id, role=principal.role.value,
            case_id=case_id, school_id=school_id, resource=resource, purpose=purpose,
            request_id=request_id,
        )
        self._access_log.record([entry])
        return entry

    def record_accesses(
        self,
        principal: Principal | SessionPrincipal,
        cases: Sequence[tuple[str, str | None]],
        *,
        resource: str,
        purpose: str,
        request_id: str | None,
    ) -> None:
        """Append one entry per ``(case_id, school_id)`` read, in one transaction (a list's,
        shared with other requests recording at the same moment)."""
        at = self.clock()
        self._access_log.record([
            AccessEntry(at=at, user_id=principal.user_id, role=principal.role.value, case_id=case_id,
                        school_id=school_id, resource=resource, purpose=purpose, request_id=request_id)
            for case_id, school_id in cases
        ])

    def close(self) -> None:
        """Close the store."""
        self.store.close()


def key_file(path: Path) -> bytes:
    """The key kept in ``path``, created (32 random bytes, mode 0600) if there is none yet."""
    if not path.exists():
        private_dir(path.parent)
        # Written aside, then linked into place: a reader never sees a half-written key.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            tmp.unlink()
    return path.read_text().strip().encode()


def _plain(what: str, text: str | None, longest: int) -> None:
    """A name or label shown in lists: one line of at most ``longest`` characters."""
    if text is None:
        return
    if not text.strip() or len(text) > longest:
        raise AccountError(f"a {what} has 1 to {longest} characters")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise AccountError(f"a {what} holds no control characters (line breaks included)")
