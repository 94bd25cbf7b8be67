"""``caretrail users ...`` and ``caretrail tokens ...``: who may call the API, with which token,
and the links people set their passwords with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from adapters.bootstrap import build_accounts, check_migrated
from adapters.driven.auth.accounts import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, AccountError, Accounts
from adapters.driven.auth.models import UserRole
from adapters.driven.clock import Clock
from adapters.driving.cli.common import CliError, JsonOpt, emit
from adapters.settings import Settings
from domain.errors import InvalidCommand
from domain.values import valid_id

users_cli = typer.Typer(help="Users: role, schools, password links.", no_args_is_help=True)
tokens_cli = typer.Typer(help="Bearer tokens: issue, list, revoke.", no_args_is_help=True)
UserOpt = Annotated[str, typer.Option("--user", help="User id.")]


@contextmanager
def accounts(settings: Settings | None = None) -> Iterator[Accounts]:
    """The deployment's accounts; account errors become one-line CLI errors."""
    settings = settings or Settings()
    if settings.is_postgres:
        check_migrated(settings)  # the clear "run caretrail migrate" line, as for the events
    found = build_accounts(settings, Clock())
    try:
        yield found
    except (AccountError, InvalidCommand) as e:
        raise CliError(str(e)) from None
    finally:
        found.close()


@users_cli.command("add")
def add_user(
    name: Annotated[str, typer.Option(help="User id, the one events and tasks name (e.g. school-001-t01).")],
    role: Annotated[UserRole, typer.Option(help="teacher, supervisor, auditor or admin.")],
    school: Annotated[list[str] | None, typer.Option(help="School id; repeat for several.")] = None,
    display_name: Annotated[str | None, typer.Option(help="How people call them (optional).")] = None,
    if_missing: Annotated[bool, typer.Option(
        "--if-missing", help="Succeed without change if the same user already exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add a user who may call the API (then: caretrail tokens issue --user ...)."""
    with accounts() as acc:
        user_id = valid_id("--name", name)
        schools = [valid_id("--school", s) for s in school or []]
        user, created = acc.add_user(user_id, role, schools, display_name, if_missing=if_missing)
        emit(user.model_dump(mode="json") | {"created": created}, as_json,
             f"user {user.user_id} ({user.role} of {', '.join(user.schools) or 'no school'}) "
             + ("added" if created else "already exists"))


@users_cli.command("list")
def list_users(as_json: JsonOpt = False) -> None:
    """Every user."""
    with accounts() as acc:
        users = acc.store.list_users()
        emit(users, as_json, "\n".join(
            f"{u.user_id:<28} {u.role:<10} {','.join(u.schools) or '-':<24}"
            f"{' disabled' if u.disabled_at else ''}" for u in users) or "no users")


@users_cli.command("disable")
def disable_user(name: Annotated[str, typer.Argument(help="User id.")], as_json: JsonOpt = False) -> None:
    """Disable a user: revoke all their tokens, end their sessions."""
    with accounts() as acc:
        revoked = acc.disable_user(name)
        emit({"user_id": name, "revoked_tokens": revoked}, as_json,
             f"user {name} disabled; {revoked} token(s) revoked")


@users_cli.command("invite")
def invite_user(
    name: Annotated[str, typer.Argument(help="User id.")],
    reset: Annotated[bool, typer.Option(
        "--reset", help="A new password for a user who has one (earlier links stop working).")] = False,
    either: Annotated[bool, typer.Option(
        "--either", help="An invitation, or a reset if the user has a password (for scripts).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print the link only.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Print a link where the user sets a password (shown once: only its keyed hash is stored)."""
    settings = Settings()
    with accounts(settings) as acc:
        issued = acc.invite(name, reset=None if either else reset)
    url = f"{settings.public_url}/invite/{issued.token}"
    if quiet and not as_json:
        typer.echo(url)
        return
    until = issued.expires_at.astimezone(ZoneInfo(settings.timezone))
    what = "password reset" if issued.purpose == "reset" else "invitation"
    emit({"user_id": issued.user_id, "url": url, "expires_at": issued.expires_at.isoformat(),
          "purpose": issued.purpose}, as_json,
         f"{what} for {issued.user_id}, valid until {until:%Y-%m-%d %H:%M} ({settings.timezone}):\n{url}")


@tokens_cli.command("issue")
def issue_token(
    user: UserOpt,
    days: Annotated[int, typer.Option(min=1, max=MAX_TOKEN_DAYS, help="Days until it expires.")] = (
        DEFAULT_TOKEN_DAYS),
    label: Annotated[str | None, typer.Option(help="What the token is for (e.g. laptop).")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Revoke the user's earlier tokens with the same label.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print the token only.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Issue a bearer token. It is shown once: only its keyed hash is stored."""
    with accounts() as acc:
        issued = acc.issue_token(user, days=days, label=label, replace=replace)
        record = issued.record
        text = issued.token if quiet else (
            f"token {record.token_id} for {record.user_id}, expires {record.expires_at:%Y-%m-%d}:\n"
            f"{issued.token}"
        )
        emit(record.model_dump(mode="json") | {"token": issued.token}, as_json, text)


@tokens_cli.command("revoke")
def revoke_token(
    token_id: Annotated[str | None, typer.Argument(help="Token id (tk-...).")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Revoke all of this user's tokens.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke one token, or every token of a user."""
    if (token_id is None) == (user is None):
        raise CliError("give a token id or --user (exactly one of them)")
    with accounts() as acc:
        if token_id is not None:
            if not acc.revoke_token(token_id):
                raise CliError(f"no active token {token_id}")
            emit({"revoked": [token_id]}, as_json, f"token {token_id} revoked")
        else:
            assert user is not None
            count = acc.revoke_tokens(user)
            emit({"user_id": user, "revoked": count}, as_json, f"{count} token(s) of {user} revoked")


@tokens_cli.command("list")
def list_tokens(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Tokens (ids, owners, expiry, revocation; never the secrets)."""
    with accounts() as acc:
        tokens = acc.store.list_tokens(user)
        emit(tokens, as_json, "\n".join(
            f"{t.token_id}  {t.user_id:<28} {t.label or '-':<12} expires {t.expires_at:%Y-%m-%d}"
            f"{'  revoked' if t.revoked_at else ''}" for t in tokens) or "no tokens")
