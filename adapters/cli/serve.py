"""``caretrail serve``: the HTTP API, the projection runner (and the scheduler) in one process."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import typer
import uvicorn
from fastapi import FastAPI

from adapters.api.app import create_app
from adapters.auth.accounts import build_accounts
from adapters.bootstrap import Caretrail, build
from adapters.logging import LogFormat, configure_logging
from adapters.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    log_format: Annotated[LogFormat | None, typer.Option(
        help="json, console or auto (default: CARETRAIL_LOG_FORMAT).")] = None,
) -> None:
    """Serve the API (docs at /docs) with the views kept current in the background."""
    settings = Settings()
    configure_logging(log_format or settings.log_format, settings.log_level)
    ct = build(settings)
    accounts = build_accounts(settings, ct.clock)
    app = create_app(ct, accounts=accounts, lifespan=background_work(ct))
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, server_header=False,
        timeout_graceful_shutdown=10,
    )
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again for
    # whoever handled it before: make that a clean exit (status 0) after our cleanup.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass
    finally:
        accounts.close()
        ct.close()


def _exit_cleanly(*_: object) -> None:
    raise SystemExit(0)


def background_work(ct: Caretrail) -> Callable[[FastAPI], Any]:
    """Start the process's background workers with the server, stop them when it stops."""
    # Each worker has start() and stop(); started in order, stopped in reverse.
    # The scheduler (adapters.scheduler) joins this list when it is wired in: after
    # the runner, so that its first sweep reads views that are catching up already.
    workers: list[Any] = [ct.runner]

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        started: list[Any] = []
        try:
            for worker in workers:
                worker.start()
                started.append(worker)
            yield
        finally:
            for worker in reversed(started):
                worker.stop()

    return lifespan
