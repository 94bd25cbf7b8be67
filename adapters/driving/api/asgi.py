"""The API as one of several worker processes (``caretrail serve --workers N``).

Each worker builds its own service from the environment and does no background work:
the views and the scheduler run once, in ``serve``'s supervising process or in
``caretrail worker``. A worker ends when the supervising process ends, and its readiness
fails as soon as that process is gone (``supervision.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from adapters.bootstrap import build, build_accounts
from adapters.driving.api.app import create_app
from adapters.driving.api.supervision import follow_supervisor
from adapters.logging import configure_logging
from adapters.settings import Settings


def create_worker_app() -> FastAPI:
    """uvicorn factory: ``uvicorn --factory adapters.driving.api.asgi:create_worker_app``."""
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    supervisor_alive = follow_supervisor()
    caretrail = build(settings)
    accounts = build_accounts(settings, caretrail.clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            accounts.close()
            caretrail.close()

    return create_app(
        caretrail, accounts=accounts, lifespan=lifespan, views_keeper=supervisor_alive)
