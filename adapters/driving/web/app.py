"""The web pages on the API's FastAPI app: routes under ``/``, files under ``/static``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from adapters.driving.web.names import ERRORS, N_
from adapters.driving.web.pages import FormExpired, LoginRequired, render, to_login, visit_of
from adapters.driving.web.routes import (
    auth,
    board,
    cases,
    erase,
    figures,
    imports,
    inspect,
    lists,
    reports,
    school_year,
    tasks,
)

STATIC = Path(__file__).parent / "static"


def mount_web(app: FastAPI) -> None:
    """Add the pages, their static files and their error pages to ``app``."""
    for module in (
        auth, tasks, board, figures, imports, reports, lists, inspect, school_year, cases, erase,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(FormExpired, _form_expired)


async def _login_required(request: Request, _: Exception) -> Response:
    return to_login(request)


async def _form_expired(request: Request, _: Exception) -> Response:
    visit = visit_of(request)
    return render(visit, "error.html", status=400, title=visit.gettext(N_("Form expired")),
                  message=visit.gettext(ERRORS["csrf"]))


def error_page(request: Request, status: int, code: str) -> Response:
    """A refusal of a page request, in the visitor's language (the API answers problems)."""
    visit = visit_of(request)
    message = ERRORS.get(code, ERRORS["domain-error"])
    request_id = request.scope.get("caretrail.request_id", "")
    title = N_("Not found") if status == 404 else N_("Something went wrong")
    return render(visit, "error.html", status=status, title=visit.gettext(title),
                  message=visit.gettext(message, request_id=request_id) if "%(request_id)s" in message
                  else visit.gettext(message))
