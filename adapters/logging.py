"""Logging, configured once per process: JSON in production, readable lines on a terminal.

Modules call ``structlog.get_logger()``; request context (request id, user id, role,
case id) is passed explicitly by the request middleware. The standard library's loggers
(uvicorn, eventsourcing) go through the same renderer, so a process writes one format.

Children's and guardians' names and phone numbers must never reach a log line: the
:func:`drop_personal_data` processor removes keys that could carry them, as a last guard
behind the rule that only ids are logged.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import orjson
import structlog
from structlog.typing import EventDict, Processor

#: Keys that could carry personal data; dropped from every event, whoever logs it.
PERSONAL_KEYS = frozenset({
    "name", "child", "guardian", "parents", "phone", "observations", "summary", "text",
    "note", "birth_date", "authorization", "token",
})

LogFormat = Literal["json", "console", "auto"]


def drop_personal_data(_: Any, __: str, event: EventDict) -> EventDict:
    """Remove keys that might hold a name, phone, free text or credential."""
    for key in PERSONAL_KEYS.intersection(event):
        event[key] = "[removed]"
    return event


def _json_line(event: EventDict, **options: Any) -> str:
    """A log event as one JSON line, rendered by orjson: cheaper than ``json.dumps`` on
    the request line the API writes for every request (docs/performance.md)."""
    return orjson.dumps(event, option=orjson.OPT_NON_STR_KEYS, **options).decode()


class Stderr:
    """The process's standard error as it is at each write (a caller, or a test, may replace
    ``sys.stderr``: log lines follow it rather than a stream closed since)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure_logging(
    fmt: LogFormat = "auto", level: str = "INFO", stream: TextIO | Stderr | None = None, *,
    cache: bool = True
) -> None:
    """Configure structlog and the standard library's logging for this process.

    ``auto`` renders JSON unless the stream is a terminal. ``cache=False`` lets a later
    call reconfigure loggers already used (tests); a server configures once and caches.
    """
    stream = stream or sys.stdout
    as_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        drop_personal_data,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer(serializer=_json_line) if as_json
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=cache,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # uvicorn's access log would duplicate the API's own request line.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # APScheduler logs two INFO lines per job run; the scheduler logs what matters itself.
    logging.getLogger("apscheduler").setLevel(max(numeric, logging.WARNING))
    # httpx logs every request's full URL at INFO (and httpcore its details at DEBUG): a
    # webhook robot's URL holds its key. The notifier logs deliveries itself, host only.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
