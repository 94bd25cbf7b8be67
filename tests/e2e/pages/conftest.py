"""The web pages in-process: httpx over ASGI (cookies kept per visitor), SQLite, a fake clock.

People are the API tests' people (``tests.e2e.api.conftest.PEOPLE``); each gets a
password through an invitation, as a real person does, when a test first visits as them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import anyio.from_thread
import httpx
import pytest

from adapters.bootstrap import Caretrail, build_accounts
from adapters.driven.auth.accounts import Accounts
from adapters.driving.api.app import create_app
from adapters.driving.api.config import ApiConfig
from tests.e2e.api.conftest import PEOPLE, identify_body
from tests.fakes import FakeClock

PASSWORD = "grandmother-2026"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Web:
    """Visitors of the pages, each with their own cookies."""

    caretrail: Caretrail
    accounts: Accounts
    clock: FakeClock
    portal: Any
    app: Any
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    passwords_set: set[str] = field(default_factory=set)

    def client(self, who: str) -> httpx.AsyncClient:
        """The browser of ``who`` (a key of PEOPLE, or any name for an anonymous visitor)."""
        if who not in self.clients:
            self.clients[who] = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.app), base_url="http://testserver",
                follow_redirects=False,
            )
        return self.clients[who]

    def get(self, url: str, who: str = "anonymous", **kwargs: Any) -> httpx.Response:
        """A GET as ``who``."""
        return self.portal.call(partial(self.client(who).get, url, **kwargs))

    def post(self, url: str, who: str = "anonymous", **kwargs: Any) -> httpx.Response:
        """A POST as ``who``."""
        return self.portal.call(partial(self.client(who).post, url, **kwargs))

    def csrf(self, page: httpx.Response) -> str:
        """The CSRF token a page's form carries."""
        found = CSRF.search(page.text)
        assert found, "the page has no form token"
        return found.group(1)

    def log_in(self, who: str) -> str:
        """Log ``who`` in and keep the session cookie; their user id. The first time, they are
        invited and set their password through the link; later, they use the login form."""
        user_id = PEOPLE[who][0]
        if who in self.passwords_set:
            form = self.get("/login", who)
            done = self.post("/login", who, data={
                "user_id": user_id, "password": PASSWORD, "csrf": self.csrf(form)})
            assert done.status_code == 303, done.text
            return user_id
        invitation = self.accounts.invite(user_id)
        form = self.get(f"/invite/{invitation.token}", who)
        assert form.status_code == 200, form.text
        done = self.post(f"/invite/{invitation.token}", who, data={
            "password": PASSWORD, "again": PASSWORD, "csrf": self.csrf(form)})
        assert done.status_code == 303, done.text
        self.passwords_set.add(who)
        return user_id

    def open_case(self, who: str = "teacher", n: int = 1, **body: Any) -> str:
        """A case opened through the application, as the API would; its id."""
        from domain.values import Actor
        from workflows.commands import IdentifyChild

        user_id, role, schools = PEOPLE[who]
        request = identify_body(schools[0], n, **body)
        result = self.caretrail.cases.handle(IdentifyChild(**request), Actor(
            user_id=user_id, role=role.domain_role))
        self.caretrail.runner.catch_up()
        return str(result.case_id)


@pytest.fixture
def web(caretrail: Caretrail, clock: FakeClock) -> Iterator[Web]:
    """The pages over a fresh SQLite store, everyone of PEOPLE a user (no password yet)."""
    settings = caretrail.settings.model_copy(update={
        "password_time_cost": 1, "password_memory_kib": 1024, "password_parallelism": 1})
    caretrail.settings = settings
    accounts = build_accounts(settings, clock)
    for user_id, role, schools in PEOPLE.values():
        accounts.add_user(user_id, role, schools)
    app = create_app(caretrail, accounts=accounts, config=ApiConfig(wait_seconds=2.0))
    caretrail.runner.start()  # the views follow the log, as in `caretrail serve`
    with anyio.from_thread.start_blocking_portal() as portal:
        visits = Web(caretrail, accounts, clock, portal, app)
        try:
            yield visits
        finally:
            caretrail.runner.stop()
            for client in visits.clients.values():
                portal.call(client.aclose)
            accounts.close()
