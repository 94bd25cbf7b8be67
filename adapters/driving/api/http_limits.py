"""Bounded request heads: uvicorn's httptools protocol, answering 431 beyond the bounds.

httptools keeps whatever a client sends as a request line or header until its line ends,
so neither a huge header nor an endless one is refused on its own. This protocol counts
the bytes of each request's head as they arrive and the header fields as they are parsed,
and past either bound answers ``431 Request Header Fields Too Large`` (problem+json, with
the security headers every response has) and closes the connection. The application never
sees such a request.
"""

from __future__ import annotations

from typing import Any

import structlog
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from adapters.driving.api.problems import CATALOGUE, MEDIA_TYPE, Problem, problem_type
from adapters.driving.api.security_headers import CSP, HEADERS

#: The request line and all header fields of one request together.
MAX_HEAD_BYTES = 32 * 1024
#: Header fields in one request.
MAX_HEADER_FIELDS = 100
CODE = "headers-too-large"


class HeadTooLarge(Exception):
    """Raised inside the parser when a request's head passes a bound (never leaves it)."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with request heads bounded (``uvicorn.run(http=...)``)."""

    max_head_bytes = MAX_HEAD_BYTES
    max_header_fields = MAX_HEADER_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_complete = False  # this request's head is parsed: what follows is body
        self.head_received = 0  # bytes received while the head was incomplete
        self.head_parsed = 0  # bytes of the request line and fields parsed so far
        self.head_fields = 0
        self.head_refusal: str | None = None

    def data_received(self, data: bytes) -> None:
        """Feed the parser; refuse once an incomplete head holds more than the bound."""
        if not self.head_complete:
            self.head_received += len(data)
        super().data_received(data)
        if (not self.head_complete and self.head_received > self.max_head_bytes
                and not self.transport.is_closing()):
            self.head_refusal = f"request heads are limited to {self.max_head_bytes} bytes"
            self.send_431_response()

    def on_message_begin(self) -> None:
        """A new request: its head is counted from here."""
        super().on_message_begin()
        self.head_complete, self.head_parsed, self.head_fields = False, 0, 0

    def on_url(self, url: bytes) -> None:
        """Count the request target (it arrives in pieces)."""
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Count one header field."""
        self.head_fields += 1
        if self.head_fields > self.max_header_fields:
            self.head_refusal = f"requests are limited to {self.max_header_fields} header fields"
            raise HeadTooLarge
        self._count_head(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """The head is parsed: the body is not counted."""
        self.head_complete = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The request is read: the next one starts a new head."""
        super().on_message_complete()
        self.head_complete, self.head_received = False, 0

    def send_400_response(self, msg: str) -> None:
        """uvicorn answers any parser error with 400; a bound passed is a 431."""
        if self.head_refusal is None:
            super().send_400_response(msg)
        else:
            self.send_431_response()

    def send_431_response(self) -> None:
        """Answer 431 with a problem and close the connection."""
        structlog.get_logger("caretrail.api").warning(
            "request_head_refused", reason=self.head_refusal, client=_address(self.client))
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # a pipelined request's answer is still being written
            return
        body = Problem(
            type=problem_type(CODE), title=CATALOGUE[CODE].title, status=431,
            detail=self.head_refusal,
        ).model_dump_json(exclude_none=True).encode()
        headers = [
            (b"content-type", MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            *HEADERS,
            (b"content-security-policy", CSP.encode()),
        ]
        self.transport.write(b"".join([
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
            *(name + b": " + value + b"\r\n" for name, value in headers),
            b"\r\n", body,
        ]))
        self.transport.close()

    def _count_head(self, size: int) -> None:
        self.head_parsed += size
        if self.head_parsed > self.max_head_bytes:
            self.head_refusal = f"request heads are limited to {self.max_head_bytes} bytes"
            raise HeadTooLarge


def _address(client: tuple[str, int] | None) -> str | None:
    return f"{client[0]}:{client[1]}" if client else None
