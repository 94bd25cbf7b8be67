"""People and their passwords: invitation links, logins, sessions (the API's tokens are for programs).

An invitation (``inv_…``) lets a person set a first password, a reset link a new one; a
login opens a session (``ses_…``), which ends on logout, after a while without requests,
at an absolute expiry, or when its user is disabled or sets a new password. Both kinds of
token carry 256 random bits and are stored only as their keyed hash, like API tokens.
Passwords are stored as argon2id hashes. Failed logins are counted per account and per
address (as keyed hashes too); past a threshold each attempt waits, longer and longer.
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from adapters.driven.auth.errors import (
    AccountError,
    InvitationInvalid,
    LoginFailed,
    LoginThrottled,
    WeakPassword,
)
from adapters.driven.auth.models import (
    Invitation,
    Purpose,
    Session,
    SessionPrincipal,
    StoredInvitation,
    User,
)
from adapters.driven.auth.port import AuthStore

log = structlog.get_logger("caretrail.auth")

INVITATION_PREFIX = "inv_"
SESSION_PREFIX = "ses_"
#: The shapes of the tokens we issue: checked before hashing, so junk costs nothing.
INVITATION_SHAPE = re.compile(r"^inv_[A-Za-z0-9_-]{43}$")
SESSION_SHAPE = re.compile(r"^ses_[A-Za-z0-9_-]{43}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 128
#: The wait after the failure that reaches the threshold; it doubles with each further one.
FIRST_DELAY = timedelta(seconds=30)
LONGEST_DELAY = timedelta(minutes=15)
#: A session's last request is written at most this often: a page's many requests would
#: otherwise each be a write.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class PeopleConfig:
    """How long links and sessions last, when logins wait, what a password hash costs.

    The fields are the settings of the same names (``adapters.settings.Settings``).
    """

    invitation_hours: int = 72
    session_hours: int = 12
    session_idle_minutes: int = 120
    login_max_failures: int = 5
    login_window_minutes: int = 15
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    password_parallelism: int = 4


@dataclass(frozen=True)
class IssuedInvitation:
    """A fresh invitation or reset link: the only moment its token exists outside the caller."""

    token: str
    user_id: str
    purpose: Purpose
    expires_at: datetime


@dataclass(frozen=True)
class IssuedSession:
    """A fresh session: its token (the cookie), the value its forms send back, its end."""

    token: str
    csrf_token: str
    user_id: str
    expires_at: datetime
    #: Names the session in logs (as :attr:`SessionPrincipal.session_id` does).
    session_id: str


def check_password(password: str, user_id: str) -> None:
    """Refuse a new password that breaks a rule, with :class:`WeakPassword` naming it."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise WeakPassword(
            "length", f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters, not {len(password)}"
        )
    if not password.strip():
        raise WeakPassword("blank", "a password is more than spaces")
    if password.strip().casefold() == user_id.casefold():
        raise WeakPassword("user_id", "a password is not the user name")


class People:
    """People's invitations, passwords, logins and sessions over an :class:`AuthStore`."""

    def __init__(
        self,
        store: AuthStore,
        token_hash: Callable[[str], str],
        clock: Callable[[], datetime],
        config: PeopleConfig,
    ) -> None:
        self.store = store
        self._hash = token_hash
        self.clock = clock
        self.config = config
        self.hasher = PasswordHasher(
            time_cost=config.password_time_cost, memory_cost=config.password_memory_kib,
            parallelism=config.password_parallelism,
        )

    @cached_property
    def _dummy_hash(self) -> str:
        # Verified against when there is no hash to check, so that an unknown user costs
        # the time a known one does. Made at the first login: most processes have none.
        return self.hasher.hash(secrets.token_urlsafe(16))

    # ------------------------------------------------------------ invitations
    def invite(self, user_id: str, *, reset: bool | None = False) -> IssuedInvitation:
        """A link to set a first password (``reset``: a new one; None: whichever the user
        needs); earlier unused links stop."""
        user = self.store.get_user(user_id)
        if user is None:
            raise AccountError(f"no user {user_id}")
        if user.disabled_at is not None:
            raise AccountError(f"user {user_id} is disabled")
        has_password = self.store.password_hash(user_id) is not None
        if reset is None:
            reset = has_password
        if reset and not has_password:
            raise AccountError(f"user {user_id} has no password to reset yet: invite them instead")
        if not reset and has_password:
            raise AccountError(f"user {user_id} already has a password: send a password reset instead")
        now = self.clock()
        purpose: Purpose = "reset" if reset else "invite"
        token = INVITATION_PREFIX + secrets.token_urlsafe(32)
        record = StoredInvitation(
            user_id=user_id, purpose=purpose, created_at=now,
            expires_at=now + timedelta(hours=self.config.invitation_hours),
        )
        self.store.add_invitation(record, self._hash(token))
        return IssuedInvitation(token=token, user_id=user_id, purpose=purpose, expires_at=record.expires_at)

    def invitation(self, token: str) -> Invitation | None:
        """The usable invitation a token stands for, or None (unknown, used, expired, disabled)."""
        found = self._usable_invitation(token)
        if found is None:
            return None
        record, user = found
        return Invitation(
            user_id=user.user_id, display_name=user.display_name, purpose=record.purpose,
            expires_at=record.expires_at,
        )

    def set_password(self, token: str, password: str, *, address: str | None = None) -> IssuedSession:
        """Use an invitation (once): set the password, end the user's sessions, log them in."""
        found = self._usable_invitation(token)
        if found is None:
            raise InvitationInvalid()
        record, user = found
        password = unicodedata.normalize("NFC", password)
        check_password(password, user.user_id)
        password_hash = self.hasher.hash(password)
        issued, session, session_hash = self._new_session(user.user_id)
        if not self.store.use_invitation(self._hash(token), password_hash, session, session_hash):
            raise InvitationInvalid()  # used by a concurrent request since we read it
        self.store.clear_failures(self._account_key(user.user_id))
        log.info("password_set", user_id=user.user_id, address=address, purpose=record.purpose)
        return issued

    def _usable_invitation(self, token: str) -> tuple[StoredInvitation, User] | None:
        if not INVITATION_SHAPE.match(token):
            return None
        found = self.store.find_invitation(self._hash(token))
        if found is None:
            return None
        record, user = found
        if record.used_at is not None or self.clock() >= record.expires_at or user.disabled_at is not None:
            return None
        return found

    # ------------------------------------------------------------ logins
    def login(self, user_id: str, password: str, *, address: str) -> IssuedSession:
        """Open a session for a user name and password; :class:`LoginFailed` or
        :class:`LoginThrottled` otherwise."""
        user_id = user_id.strip()
        keys = (self._account_key(user_id), self._hash(f"login-address:{address}"))
        now = self.clock()
        user = self.store.get_user(user_id)
        # A name that is no user's is not logged: it may be a password typed in the wrong box.
        logged = user.user_id if user is not None else None
        wait = max(self._wait(key, now) for key in keys)
        if wait:
            log.warning("login_throttled", user_id=logged, address=address)
            raise LoginThrottled(wait)
        stored = self.store.password_hash(user_id) if user is not None else None
        password = unicodedata.normalize("NFC", password)
        if not self._verify(stored, password) or user is None or user.disabled_at is not None:
            window = timedelta(minutes=self.config.login_window_minutes)
            self.store.record_failure(keys, now, forget_before=now - window)
            log.warning("login_failed", user_id=logged, known_user=user is not None, address=address)
            raise LoginFailed()
        assert stored is not None  # verified against it
        self.store.clear_failures(keys[0])
        if self.hasher.check_needs_rehash(stored):
            self.store.rehash_password(user_id, stored, self.hasher.hash(password))
        issued, session, session_hash = self._new_session(user_id)
        self.store.add_session(session, session_hash)
        log.info("login", user_id=user_id, address=address)
        return issued

    def _verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; one argon2 verification either way."""
        # Read first whatever the user: making it on the first login of a process then
        # costs the same for a known user as for an unknown one.
        dummy = self._dummy_hash
        if len(password) > MAX_PASSWORD:
            # No stored password is this long; cut it so it costs what any other attempt does.
            stored, password = None, password[:MAX_PASSWORD]
        try:
            self.hasher.verify(stored or dummy, password)
        except (VerificationError, InvalidHashError):
            return False
        return stored is not None

    def _wait(self, key: str, now: datetime) -> int:
        """Seconds a key must wait before its next attempt (0: none)."""
        since = now - timedelta(minutes=self.config.login_window_minutes)
        count, last = self.store.recent_failures(key, since)
        beyond = count - self.config.login_max_failures
        if beyond < 0 or last is None:
            return 0
        delay = min(FIRST_DELAY * (1 << min(beyond, 16)), LONGEST_DELAY)
        return max(0, math.ceil((last + delay - now).total_seconds()))

    def _account_key(self, user_id: str) -> str:
        return self._hash(f"login-account:{user_id}")

    # ------------------------------------------------------------ sessions
    def session(self, token: str) -> SessionPrincipal | None:
        """The person a session token stands for, or None (unknown, ended, expired, idle, disabled)."""
        if not SESSION_SHAPE.match(token):
            return None
        session_hash = self._hash(token)
        found = self.store.find_session(session_hash)
        if found is None:
            return None
        session, user = found
        now = self.clock()
        idle = now - session.last_seen_at
        if (
            session.ended_at is not None or now >= session.expires_at or user.disabled_at is not None
            or idle > timedelta(minutes=self.config.session_idle_minutes)
        ):
            return None
        if idle > TOUCH_EVERY:
            self.store.touch_session(session_hash, now)
        return SessionPrincipal(
            user_id=user.user_id, role=user.role, schools=user.schools, display_name=user.display_name,
            csrf_token=session.csrf_token, session_id=session_hash[:12], expires_at=session.expires_at,
        )

    def logout(self, token: str) -> bool:
        """End the session of a token; False if it was unknown or already ended."""
        if not SESSION_SHAPE.match(token):
            return False
        session_hash = self._hash(token)
        ended = self.store.end_session(session_hash, self.clock())
        if ended:
            log.info("logout", session_id=session_hash[:12])
        return ended

    def end_sessions(self, user_id: str) -> int:
        """End every session of a user (they must log in again); how many were open."""
        if self.store.get_user(user_id) is None:
            raise AccountError(f"no user {user_id}")
        return self.store.end_sessions(user_id, self.clock())

    def _new_session(self, user_id: str) -> tuple[IssuedSession, Session, str]:
        """A new session of a user, what the store keeps of it, and the hash it is kept under."""
        now = self.clock()
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        session = Session(
            user_id=user_id, csrf_token=secrets.token_urlsafe(32), created_at=now, last_seen_at=now,
            expires_at=now + timedelta(hours=self.config.session_hours),
        )
        session_hash = self._hash(token)
        issued = IssuedSession(
            token=token, csrf_token=session.csrf_token, user_id=user_id, expires_at=session.expires_at,
            session_id=session_hash[:12],
        )
        return issued, session, session_hash
