"""The API in-process: httpx over ASGI, SQLite in a temporary directory, a fake clock.

Two schools, ``school-a`` and ``school-b``; in each a teacher, a supervisor and an
auditor (school-a: two more teachers, ``a-mentor`` and ``a-teacher-2``); a supervisor
of both; one admin. ``api.as_("teacher")`` calls as school-a's teacher.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest

from adapters.bootstrap import Caretrail, build_accounts
from adapters.driven.auth.accounts import Accounts
from adapters.driven.auth.models import UserRole
from adapters.driving.api.app import create_app
from adapters.driving.api.config import ApiConfig
from adapters.settings import Settings
from tests.fakes import FakeClock

SCHOOL_A = "school-a"
SCHOOL_B = "school-b"
#: (user id, role, schools) of everyone the tests call as; the key is how tests name them.
PEOPLE: dict[str, tuple[str, UserRole, tuple[str, ...]]] = {
    "teacher": ("a-teacher", UserRole.TEACHER, (SCHOOL_A,)),
    "supervisor": ("a-supervisor", UserRole.SUPERVISOR, (SCHOOL_A,)),
    "auditor": ("a-auditor", UserRole.AUDITOR, (SCHOOL_A,)),
    "admin": ("admin", UserRole.ADMIN, ()),
    "mentor": ("a-mentor", UserRole.TEACHER, (SCHOOL_A,)),
    "teacher_2": ("a-teacher-2", UserRole.TEACHER, (SCHOOL_A,)),
    "teacher_b": ("b-teacher", UserRole.TEACHER, (SCHOOL_B,)),
    "supervisor_b": ("b-supervisor", UserRole.SUPERVISOR, (SCHOOL_B,)),
    "supervisor_ab": ("ab-supervisor", UserRole.SUPERVISOR, (SCHOOL_A, SCHOOL_B)),
}


@dataclass
class Api:
    """A synchronous face on an async httpx client talking to the app in-process."""

    app: Any
    caretrail: Caretrail
    accounts: Accounts
    clock: FakeClock
    portal: Any
    tokens: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://testserver/api/v1"
        )

    def request(self, method: str, url: str, *, who: str | None = None, token: str | None = None,
                headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """Send one request as ``who`` (a key of PEOPLE) or with a raw token."""
        headers = dict(headers or {})
        bearer = token or (self.tokens[who] if who else None)
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        return self.portal.call(partial(self.client.request, method, url, headers=headers, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def user_id(self, who: str) -> str:
        return PEOPLE[who][0]

    def identify(
        self, who: str = "teacher", n: int = 1, school: str = SCHOOL_A, **body: Any
    ) -> dict[str, Any]:
        """Open a case through the API; the created case's answer."""
        response = self.post("/cases", who=who, json=identify_body(school, n, **body))
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def catch_up(self) -> None:
        """Bring the views up to date (tests that do not exercise min_position)."""
        self.caretrail.runner.catch_up()


def identify_body(school: str = SCHOOL_A, n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid identification with plausible personal data."""
    body: dict[str, Any] = {
        "school_id": school,
        "student_no": f"2026{n:04d}",
        "child": {"name": "王小明", "class_name": "三年级2班", "gender": "male"},
        "guardian": {"name": "李奶奶", "relation": "grandmother", "phone": "13800000000"},
        "parents": {"away": "both", "work_place": "广东东莞"},
        "head_teacher_id": "a-teacher" if school == SCHOOL_A else "b-teacher",
    }
    body.update(overrides)
    return body


def make_api(caretrail: Caretrail, clock: FakeClock, config: ApiConfig | None = None) -> Iterator[Api]:
    """An Api with every person of PEOPLE added and holding a token."""
    accounts = build_accounts(caretrail.settings, clock)
    app = create_app(caretrail, accounts=accounts, config=config or ApiConfig(wait_seconds=2.0))
    with anyio.from_thread.start_blocking_portal() as portal:
        api = Api(app=app, caretrail=caretrail, accounts=accounts, clock=clock, portal=portal)
        for key, (user_id, role, schools) in PEOPLE.items():
            accounts.add_user(user_id, role, schools)
            api.tokens[key] = accounts.issue_token(user_id, days=366).token
        try:
            yield api
        finally:
            portal.call(api.client.aclose)
            accounts.close()


@pytest.fixture
def api(caretrail: Caretrail, clock: FakeClock) -> Iterator[Api]:
    """The API over a fresh SQLite store."""
    yield from make_api(caretrail, clock)


# --------------------------------------------------------------------------- people
#: A password people may choose (Chinese and spaces included).
PASSWORD = "春天 的 correct horse"


@pytest.fixture
def accounts(tmp_path: Path, clock: FakeClock) -> Iterator[Accounts]:
    """Accounts over a fresh ``auth.sqlite`` (cheap argon2: tests/conftest.py); teachers
    t1 and t2 of school s1, without passwords."""
    found = build_accounts(Settings(data_dir=tmp_path / "data"), clock)
    found.add_user("t1", UserRole.TEACHER, ["s1"], display_name="王老师")
    found.add_user("t2", UserRole.TEACHER, ["s1"])
    yield found
    found.close()


def give_password(accounts: Accounts, user_id: str, password: str = PASSWORD) -> str:
    """Invite a user and set their password; the session token it opened."""
    return accounts.set_password(accounts.invite(user_id).token, password).token
