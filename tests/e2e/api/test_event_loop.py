"""No request holds the event loop: slow reads run off it, and ``/healthz`` answers meanwhile.

A slow read is a store call that blocks until the test releases it (no sleep): if it ran on
the event loop, ``/healthz`` could not answer before the release.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest

from adapters.bootstrap import Caretrail
from adapters.driving.api.config import ApiConfig
from tests.e2e.api.conftest import Api, make_api
from tests.fakes import FakeClock


def held(call: Callable[..., Any]) -> tuple[Callable[..., Any], threading.Event, threading.Event]:
    """``call`` made to wait, once started, until released; (the slow call, started, release)."""
    started, release = threading.Event(), threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        started.set()
        if not release.wait(20):
            raise TimeoutError("never released")
        return call(*args, **kwargs)

    return slow, started, release


def healthz_answers_while(api: Api, slow: tuple[Any, threading.Event, threading.Event], url: str,
                          who: str) -> None:
    """Send ``url`` (which reaches the slow call), then ``/healthz``; both answer in order."""
    _, started, release = slow
    headers = {"Authorization": f"Bearer {api.tokens[who]}"}
    pending = api.portal.start_task_soon(partial(api.client.request, "GET", url, headers=headers))
    try:
        assert started.wait(20), "the slow request never reached its store call"
        health = api.get("/healthz")
        assert health.status_code == 200
        assert not pending.done(), "the slow request finished before it was released"
    finally:
        release.set()
    assert pending.result(20).status_code == 200


def test_healthz_answers_while_a_case_history_is_read(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    case_id = api.identify()["case_id"]
    slow = held(api.caretrail.cases.history_page)
    monkeypatch.setattr(api.caretrail.cases, "history_page", slow[0])
    healthz_answers_while(api, slow, f"/cases/{case_id}/history", "teacher")


@pytest.fixture
def remote_api(caretrail: Caretrail, clock: FakeClock) -> Iterator[Api]:
    """The API as it runs over a database server: store calls of async routes off the loop."""
    yield from make_api(caretrail, clock, ApiConfig(wait_seconds=2.0, inline_reads=False))


@pytest.mark.parametrize(
    ("url", "who", "read"),
    [("/me/tasks", "teacher", "my_tasks"), ("/follow-ups", "supervisor", "tasks"),
     ("/cases", "teacher", "cases"), ("/audit/events", "auditor", "audit_events")],
)
def test_healthz_answers_while_a_list_reads_a_database_server(
    remote_api: Api, monkeypatch: pytest.MonkeyPatch, url: str, who: str, read: str
) -> None:
    remote_api.identify()
    remote_api.catch_up()
    slow = held(getattr(remote_api.caretrail.read, read))
    monkeypatch.setattr(remote_api.caretrail.read, read, slow[0])
    healthz_answers_while(remote_api, slow, url, who)


def test_healthz_answers_while_the_statistics_are_counted(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # An aggregate over a whole school runs off the loop on every store.
    slow = held(api.caretrail.read.stats)
    monkeypatch.setattr(api.caretrail.read, "stats", slow[0])
    healthz_answers_while(api, slow, "/stats", "supervisor")


def test_reads_stay_inline_on_local_files_and_go_off_the_loop_on_a_database_server(api: Api) -> None:
    assert api.app.state.config.inline_reads is True  # SQLite: the store is a local file
    postgres = api.caretrail.settings.model_copy(update={"database_url": "postgresql://db.example/caretrail"})
    from adapters.driving.api.app import create_app

    caretrail = Caretrail(**{**vars(api.caretrail), "settings": postgres})
    assert create_app(caretrail, accounts=api.accounts).state.config.inline_reads is False
