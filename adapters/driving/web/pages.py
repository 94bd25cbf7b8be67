"""What every page shares: who is visiting, their language, the form token, and rendering.

A visit carries its session (the cookie ``caretrail_session``, the token of a server-side
session: see ``adapters.driven.auth``), the visitor's language, and the session's CSRF
token, which every form that changes something posts back (:func:`check_form`).
Templates escape everything they print (Jinja2 autoescape).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from adapters.bootstrap import Caretrail
from adapters.driven.auth.accounts import Accounts, SessionPrincipal
from adapters.driving.api.permissions import GRANTS, Permission
from adapters.driving.web.i18n import LANGUAGE_NAMES, LOCALES, negotiate, translations
from adapters.driving.web.names import CHOICES, EVENTS, KINDS, RELATIONS, ROLES, STATES, STEPS

TEMPLATES = Path(__file__).parent / "templates"
SESSION_COOKIE = "caretrail_session"
LANGUAGE_COOKIE = "caretrail_lang"


class LoginRequired(Exception):
    """Raised by a page that needs a visitor who has logged in."""


class FormExpired(Exception):
    """Raised when a form comes back without the session's CSRF token."""


@dataclass
class Visit:
    """One request to a page: the running caretrail, the visitor (if logged in), language."""

    request: Request
    caretrail: Caretrail
    accounts: Accounts
    user: SessionPrincipal | None  # the session's person, when logged in
    locale: str

    @property
    def csrf(self) -> str:
        """The token forms post back (a visitor not yet logged in: the pre-login cookie's)."""
        if self.user is not None:
            return str(self.user.csrf_token)
        return str(self.request.scope.get("caretrail.login_csrf", ""))

    def can(self, permission: str) -> bool:
        """Whether the visitor's role carries ``permission`` (as the API grants it)."""
        return self.user is not None and Permission(permission) in GRANTS[self.user.role]

    def gettext(self, message: str, **values: Any) -> str:
        """``message`` in the visitor's language."""
        text = translations(self.locale).gettext(message)
        return text % values if values else text

    def local(self, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A time in the school's time zone."""
        if moment is None:
            return "-"
        return moment.astimezone(ZoneInfo(self.caretrail.settings.timezone)).strftime(fmt)


@dataclass
class SignedIn(Visit):
    """A visit of a person who has logged in."""

    user: SessionPrincipal


@lru_cache(maxsize=len(LOCALES))
def environment(locale: str) -> jinja2.Environment:
    """The templates in one language (Jinja2's gettext extension over the catalog)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(languages=list(LANGUAGE_NAMES.items()))
    return env


def render(visit: Visit, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in the visitor's language."""
    gettext = visit.gettext
    names = {"kind_name": KINDS, "state_name": STATES, "step_name": STEPS, "event_name": EVENTS,
             "role_name": ROLES, "choice_name": CHOICES, "relation_name": RELATIONS}
    helpers = {key: (lambda code, table=table: gettext(table.get(str(code), str(code))))
               for key, table in names.items()}
    page = environment(visit.locale).get_template(template).render(
        user=visit.user, csrf=visit.csrf, can=visit.can, local=visit.local, locale=visit.locale,
        html_lang=visit.locale.replace("_", "-"), here=visit.request.url.path, **helpers, **context,
    )
    # A page shows children's data: no cache keeps it (a shared computer's Back button after
    # logging out, a proxy on the way).
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


def visit_of(request: Request, *, user: SessionPrincipal | None = None) -> Visit:
    """The visit of a request; the visitor is found from the session cookie unless given."""
    state = request.app.state
    caretrail: Caretrail = state.caretrail
    accounts: Accounts = state.accounts
    if user is None:
        token = request.cookies.get(SESSION_COOKIE)
        user = accounts.session(token) if token else None
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    locale = negotiate(chosen, request.headers.get("accept-language"))
    return Visit(request, caretrail, accounts, user, locale)


def signed_in(request: Request) -> SignedIn:
    """The visit of a logged-in person; :class:`LoginRequired` otherwise."""
    visit = visit_of(request)
    if visit.user is None:
        raise LoginRequired
    request.scope.setdefault("caretrail.log", {}).update(
        user_id=visit.user.user_id, role=visit.user.role.value)
    return SignedIn(visit.request, visit.caretrail, visit.accounts, visit.user, visit.locale)


def check_form(visit: Visit, form: dict[str, str]) -> None:
    """Refuse a form that does not carry this session's CSRF token."""
    sent = form.get("csrf", "")
    if not visit.csrf or not hmac.compare_digest(sent.encode(), visit.csrf.encode()):
        raise FormExpired


def to_login(request: Request) -> Response:
    """Where a visitor without a session goes: the login page, then back here."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
