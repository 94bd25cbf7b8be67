"""Logging in and out, setting a password from an invitation, choosing the language."""

from __future__ import annotations

import secrets
from typing import Annotated

import structlog
from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from adapters.driven.auth.accounts import (
    Accounts,
    InvitationInvalid,
    IssuedSession,
    LoginFailed,
    LoginThrottled,
    WeakPassword,
)
from adapters.driving.web.i18n import LOCALES
from adapters.driving.web.names import N_
from adapters.driving.web.pages import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    FormExpired,
    Visit,
    check_form,
    render,
    signed_in,
    visit_of,
)

router = APIRouter(include_in_schema=False)
log = structlog.get_logger("caretrail.web")
#: The double-submit token of the login form, before any session exists.
LOGIN_CSRF_COOKIE = "caretrail_login"
PASSWORD_RULES = {
    "length": N_("A password has 8 to 128 characters."),
    "blank": N_("A password cannot be only spaces."),
    "user_id": N_("A password cannot be your user name."),
}


@router.get("/")
def start(request: Request) -> Response:
    """The start page of each role: a supervisor's or an inspector's overdue board, a
    teacher's tasks; an administrator has no pages (people are managed with the CLI)."""
    visit = visit_of(request)
    if visit.user is None:
        return RedirectResponse("/login", status_code=303)
    for permission, target in (("tasks:all", "/board"), ("tasks:own", "/tasks"), ("case:read", "/cases")):
        if visit.can(permission):
            return RedirectResponse(target, status_code=303)
    return render(visit, "error.html", status=403, title=visit.gettext(N_("Not allowed")),
                  message=visit.gettext(N_("Administrators manage people with the caretrail command.")))


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The login form."""
    visit, token = _login_visit(request)
    return _with_login_cookie(render(visit, "login.html", error=None, user_id="", next=_safe(next)), token)


@router.post("/login")
def login(
    request: Request,
    user_id: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the password; a new session on success, the form again (with what was typed) if not."""
    visit, token = _login_visit(request)
    if not token or not secrets.compare_digest(csrf.encode(), token.encode()):
        expired = visit.gettext(N_("This form has expired. Please send it again."))
        page = render(visit, "login.html", status=400, user_id=user_id, next=_safe(next), error=expired)
        return _with_login_cookie(page, token)
    address = request.client.host if request.client else "unknown"
    try:
        issued = visit.accounts.login(user_id.strip(), password, address=address)
    except LoginThrottled as e:
        error = visit.gettext(N_("Too many failed attempts. Try again in %(seconds)s seconds."),
                              seconds=e.retry_after)
        return render(visit, "login.html", status=429, error=error, user_id=user_id, next=_safe(next))
    except LoginFailed:
        error = visit.gettext(N_("Wrong user name or password."))
        return render(visit, "login.html", status=401, error=error, user_id=user_id, next=_safe(next))
    return _logged_in(request, issued, _safe(next))


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """End the session (the form carries its CSRF token)."""
    visit = signed_in(request)
    check_form(visit, {"csrf": csrf})
    token = request.cookies.get(SESSION_COOKIE, "")
    visit.accounts.logout(token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/invite/{token}")
def invitation_page(request: Request, token: str) -> Response:
    """The form that sets a password from an invitation link."""
    visit, login_token = _login_visit(request)
    found = visit.accounts.invitation(token)
    page = render(visit, "invite.html", valid=found is not None, token=token, error=None,
                  invited_user=found.user_id if found else "", status=200 if found else 410)
    return _with_login_cookie(page, login_token)


@router.post("/invite/{token}")
def set_password(
    request: Request,
    token: str,
    password: Annotated[str, Form(max_length=256)] = "",
    again: Annotated[str, Form(max_length=256)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Set the password, then log the person in."""
    visit, login_token = _login_visit(request)
    found = visit.accounts.invitation(token)
    if found is None:
        return render(visit, "invite.html", status=410, valid=False, token=token, error=None, invited_user="")

    def again_page(message: str, status: int = 422) -> Response:
        return _with_login_cookie(render(visit, "invite.html", status=status, valid=True, token=token,
                                         error=visit.gettext(message), invited_user=found.user_id),
                                  login_token)

    if not login_token or not secrets.compare_digest(csrf.encode(), login_token.encode()):
        return again_page(N_("This form has expired. Please send it again."), 400)
    if password != again:
        return again_page(N_("The two passwords are not the same."))
    address = request.client.host if request.client else "unknown"
    try:
        issued = visit.accounts.set_password(token, password, address=address)
    except WeakPassword as e:
        return again_page(PASSWORD_RULES.get(e.rule, N_("This password cannot be used.")))
    except InvitationInvalid:
        return render(visit, "invite.html", status=410, valid=False, token=token, error=None, invited_user="")
    return _logged_in(request, issued, "/")


@router.get("/language")
def choose_language(request: Request, to: str = "zh_CN", next: str = "/") -> Response:
    """Switch the pages' language: kept in a cookie, and for a person logged in, with their
    account, so that it follows them to another phone or computer."""
    response = RedirectResponse(_safe(next), status_code=303)
    if to in LOCALES:
        _language_cookie(request, response, to)
        visit = visit_of(request)
        if visit.user is not None:
            visit.accounts.set_language(visit.user.user_id, to)
    return response


def _language_cookie(request: Request, response: Response, language: str) -> None:
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=366 * 86400, httponly=True, samesite="lax",
                        secure=_secure(request), path="/")


def _login_visit(request: Request) -> tuple[Visit, str]:
    """The visit of someone not yet logged in, with the login form's double-submit token."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    request.scope["caretrail.login_csrf"] = token
    return visit_of(request), token


def _with_login_cookie(response: Response, token: str) -> Response:
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


def _logged_in(request: Request, issued: IssuedSession, target: str) -> Response:
    """The answer to a successful login: the session cookie, and on to the page wanted."""
    response = RedirectResponse(target, status_code=303)
    now = request.app.state.caretrail.clock()
    max_age = max(0, int((issued.expires_at - now).total_seconds()))
    response.set_cookie(SESSION_COOKIE, issued.token, max_age=max_age, httponly=True, samesite="lax",
                        secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    accounts: Accounts = request.app.state.accounts
    chosen = accounts.language(issued.user_id)
    if chosen in LOCALES:
        _language_cookie(request, response, chosen)
    elif request.cookies.get(LANGUAGE_COOKIE) in LOCALES:  # chosen before logging in
        accounts.set_language(issued.user_id, request.cookies[LANGUAGE_COOKIE])
    log.info("web_login", user_id=issued.user_id)
    return response


def _secure(request: Request) -> bool:
    """Cookies are Secure over HTTPS: the request's own, or the public URL's behind a proxy."""
    public_url: str = request.app.state.caretrail.settings.public_url
    return request.url.scheme == "https" or public_url.startswith("https://")


def _safe(target: str) -> str:
    """Only a path of this site is followed after login (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


__all__ = ["FormExpired", "router"]
