"""Why an account command or a login was refused; each message is one line for people."""

from __future__ import annotations

from typing import Literal

#: The rules a new password must meet, as :attr:`WeakPassword.rule` names them.
PasswordRule = Literal["length", "blank", "user_id"]
#: One message for an unknown user, a wrong password and a disabled user: which one it was
#: would tell a guesser which user names exist.
WRONG_LOGIN = "wrong user name or password"


class AccountError(Exception):
    """Raised when a user or token command cannot be carried out (unknown user...)."""


class WeakPassword(AccountError):
    """Raised when a new password breaks a rule; ``rule`` is ``length``, ``blank`` or ``user_id``."""

    def __init__(self, rule: PasswordRule, message: str) -> None:
        self.rule: PasswordRule = rule
        super().__init__(message)


class InvitationInvalid(AccountError):
    """Raised when an invitation or reset link is unknown, used, withdrawn or expired."""

    def __init__(self) -> None:
        super().__init__("this link is unknown, already used or expired: ask for a new one")


class LoginFailed(AccountError):
    """Raised when a user name and password do not let anyone in (the reason is not told)."""

    def __init__(self) -> None:
        super().__init__(WRONG_LOGIN)


class LoginThrottled(AccountError):
    """Raised when too many logins failed lately; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed logins: try again in {retry_after} seconds")
