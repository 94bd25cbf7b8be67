"""``caretrail serve``: the HTTP API, with the views and the scheduler in the background."""

from __future__ import annotations

import signal
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import typer
import uvicorn
from fastapi import FastAPI

from adapters.bootstrap import BackgroundWork, Caretrail, build, build_accounts
from adapters.driving.api.app import create_app
from adapters.driving.api.config import ApiConfig
from adapters.driving.api.http_limits import BoundedHttpToolsProtocol
from adapters.driving.cli.common import CliError
from adapters.logging import LogFormat, configure_logging
from adapters.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="API worker processes (more than 1: views and scheduler run here).")] = 1,
    scheduler: Annotated[bool, typer.Option(
        "--scheduler/--no-scheduler",
        help="Run the scheduler here (off when a separate `caretrail worker` runs it).")] = True,
    log_format: Annotated[LogFormat | None, typer.Option(
        help="json, console or auto (default: CARETRAIL_LOG_FORMAT).")] = None,
) -> None:
    """Serve the API (docs at /docs) with the views kept current in the background."""
    settings = Settings()
    # The port first: a port in use is one line and exit 1, before anything has started.
    sock = listen(host, port)
    if workers > 1:
        sock.close()  # free again at once (SO_REUSEADDR): uvicorn's workers share their own
    configure_logging(log_format or settings.log_format, settings.log_level)
    try:
        caretrail = build(settings)
    except BaseException:
        sock.close()
        raise
    background = BackgroundWork.for_process(caretrail, scheduler=scheduler)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again for
    # whoever handled it before: make that a clean exit (status 0) after our cleanup.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        if workers == 1:
            serve_in_process(caretrail, background, host, port, sock=sock)
        else:
            background.start()
            uvicorn.run(
                "adapters.driving.api.asgi:create_worker_app", factory=True, host=host, port=port,
                workers=workers, log_config=None, access_log=False, server_header=False,
                timeout_graceful_shutdown=10, http=BoundedHttpToolsProtocol,
            )
    except KeyboardInterrupt:
        pass
    finally:
        background.stop()
        caretrail.close()


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` as uvicorn binds one; :class:`CliError` if it cannot be."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise CliError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    sock.set_inheritable(True)
    return sock


def serve_in_process(
    caretrail: Caretrail, background: BackgroundWork, host: str, port: int,
    api: ApiConfig | None = None, sock: socket.socket | None = None,
) -> None:
    """Serve the API in this process (one worker) with ``background`` running beside it, on
    ``sock`` if given (bound to ``host:port``)."""
    accounts = build_accounts(caretrail.settings, caretrail.clock)
    app = create_app(caretrail, accounts=accounts, config=api, lifespan=background_work(background))
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, server_header=False,
        timeout_graceful_shutdown=10, http=BoundedHttpToolsProtocol,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock] if sock is not None else None)
    finally:
        accounts.close()


def _exit_cleanly(*_: object) -> None:
    raise SystemExit(0)


def background_work(background: BackgroundWork) -> Callable[[FastAPI], Any]:
    """Start the process's background work with the server, stop it when it stops."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        background.start()
        try:
            yield
        finally:
            background.stop()

    return lifespan
