"""Readiness: a load balancer stops sending requests to a process whose views cannot keep up."""

from __future__ import annotations

import pytest

from tests.e2e.api.conftest import Api


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
