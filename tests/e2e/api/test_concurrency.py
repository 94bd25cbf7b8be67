"""Many clients on one case through a real uvicorn server on 127.0.0.1.

16 clients x 100 steps on the same case: no update lost, every answer 2xx or 409, and
the case's final version is its initial version plus the events of the accepted steps.
Copies of one request racing with the same Idempotency-Key record it once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import httpx
import pytest
import uvicorn

from adapters.bootstrap import Caretrail, build_accounts
from adapters.driven.auth.models import UserRole
from adapters.driving.api.app import create_app
from adapters.driving.api.config import ApiConfig
from tests.e2e.api.conftest import identify_body
from tests.fakes import FakeClock

CLIENTS = 16
STEPS = 100


@pytest.fixture
def server(caretrail: Caretrail, clock: FakeClock) -> Iterator[dict[str, Any]]:
    """The app served by uvicorn in a thread, with a teacher's token."""
    accounts = build_accounts(caretrail.settings, clock)
    accounts.add_user("a-teacher", UserRole.TEACHER, ["school-a"])
    token = accounts.issue_token("a-teacher").token
    app = create_app(caretrail, accounts=accounts, config=ApiConfig())
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False,
                            lifespan="off")
    sock = config.bind_socket()
    # Listening before the server thread starts: clients queue until it accepts (bound
    # alone, a connection that beats the thread's start-up is refused).
    sock.listen(config.backlog)
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    host, port = sock.getsockname()[:2]
    try:
        yield {"url": f"http://{host}:{port}/api/v1", "headers": {"Authorization": f"Bearer {token}"},
               "caretrail": caretrail}
    finally:
        uv.should_exit = True
        thread.join(timeout=30)
        sock.close()
        accounts.close()


def _open_case(server: dict[str, Any]) -> dict[str, Any]:
    with httpx.Client(base_url=server["url"], headers=server["headers"]) as client:
        response = client.post("/cases", json=identify_body())
        assert response.status_code == 201
        return response.json()  # type: ignore[no-any-return]


def test_sixteen_clients_a_hundred_steps_each_on_one_case_lose_no_update(server: dict[str, Any]) -> None:
    created = _open_case(server)
    case_id = created["case_id"]

    def client_run(n: int) -> list[httpx.Response]:
        with httpx.Client(base_url=server["url"], headers=server["headers"], timeout=60) as client:
            answers = []
            for i in range(STEPS):
                if i % 2:
                    body = {"party": "guardian", "channel": "phone"}
                    answers.append(client.post(f"/cases/{case_id}/contacts", json=body))
                else:
                    answers.append(client.post(f"/cases/{case_id}/notes", json={"text": f"{n}-{i}"}))
            return answers

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [a for batch in pool.map(client_run, range(CLIENTS)) for a in batch]

    statuses = {a.status_code for a in answers}
    assert statuses <= {200, 409}, statuses
    accepted = [a.json() for a in answers if a.status_code == 200]
    assert accepted, "no step was accepted"
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["type"] == "/api/v1/problems/concurrent-update"
    case = server["caretrail"].cases.get_case(UUID(created["case_id"]))
    assert case.version == created["version"] + sum(len(a["events"]) for a in accepted)
    versions = [a["version"] for a in accepted]
    assert len(set(versions)) == len(versions), "two steps claim the same version"
    notes = [e for e in server["caretrail"].cases.history(case.id) if type(e).__name__ == "NoteAdded"]
    assert len(notes) == sum(1 for a in accepted if a["events"] == ["NoteAdded"])


def test_copies_of_one_request_racing_with_one_idempotency_key_record_it_once(
    server: dict[str, Any],
) -> None:
    created = _open_case(server)
    case_id = created["case_id"]
    headers = {**server["headers"], "Idempotency-Key": "visit-once"}

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=server["url"], headers=headers, timeout=60) as client:
            return client.post(f"/cases/{case_id}/home-visits", json={"guardian_met": True})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    done = [a for a in answers if a.status_code == 200]
    in_flight = [a for a in answers if a.status_code == 409]
    assert len(done) + len(in_flight) == 8
    assert all(a.json()["type"] == "/api/v1/problems/idempotency-key-in-flight" for a in in_flight)
    assert len({a.content for a in done}) == 1
    again = send(0)  # a retry after the dust settles: the first answer
    assert again.status_code == 200
    if done:
        assert again.content == done[0].content
    history = server["caretrail"].cases.history(UUID(created["case_id"]))
    visits = [e for e in history if type(e).__name__ == "HomeVisited"]
    assert len(visits) == 1
