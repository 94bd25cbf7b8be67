"""Readiness: a load balancer stops sending requests to a process whose views cannot keep up."""

from __future__ import annotations

import anyio.from_thread
import pytest

from adapters.bootstrap import Caretrail, build_accounts
from adapters.driving.api.app import create_app
from tests.e2e.api.conftest import Api
from tests.fakes import FakeClock


def test_ready_while_the_views_catch_up_and_not_while_they_fail(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = api.caretrail.runner
    assert runner.follow_step() == runner.poll_interval
    assert api.get("/readyz").status_code == 200

    def poisoned() -> int:
        raise OverflowError("date value out of range")

    monkeypatch.setattr(runner, "catch_up", poisoned)
    waits = [runner.follow_step() for _ in range(3)]
    assert waits == sorted(waits)  # backing off
    assert waits[0] > runner.poll_interval
    response = api.get("/readyz")
    assert response.status_code == 503
    problem = response.json()
    assert problem["type"] == "/api/v1/problems/not-ready"
    assert "cannot catch up (OverflowError, 3 attempts in a row" in problem["detail"]
    assert "date value" not in problem["detail"]  # the error's type, never its message

    monkeypatch.undo()
    assert runner.follow_step() == runner.poll_interval
    assert (runner.failures, runner.failure) == (0, None)
    assert api.get("/readyz").status_code == 200


def test_not_ready_once_the_process_that_keeps_the_views_current_is_gone(
    caretrail: Caretrail, clock: FakeClock
) -> None:
    supervisor = {"alive": True}
    accounts = build_accounts(caretrail.settings, clock)
    app = create_app(caretrail, accounts=accounts, views_keeper=lambda: supervisor["alive"])
    with anyio.from_thread.start_blocking_portal() as portal:
        api = Api(app=app, caretrail=caretrail, accounts=accounts, clock=clock, portal=portal)
        try:
            assert api.get("/readyz").status_code == 200
            supervisor["alive"] = False
            response = api.get("/readyz")
        finally:
            portal.call(api.client.aclose)
            accounts.close()
    assert response.status_code == 503
    assert response.json()["detail"] == "the process that keeps the views current is gone"
