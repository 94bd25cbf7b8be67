"""A real ``caretrail serve`` refuses request heads beyond its bounds with 431, over raw sockets."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from adapters.driving.api.http_limits import MAX_HEAD_BYTES, MAX_HEADER_FIELDS
from tests.e2e.serving import free_port, start_serve, wait_serving

pytestmark = pytest.mark.slow

REQUEST = b"GET /api/v1/healthz HTTP/1.1\r\nHost: caretrail\r\n"


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port of one ``caretrail serve`` for the whole module."""
    found = free_port()
    proc = start_serve(tmp_path_factory.mktemp("limits") / "data", found, "--no-scheduler")
    try:
        wait_serving(proc, found)
        yield found
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def exchange(port: int, pieces: Iterable[bytes]) -> tuple[bytes, dict[str, str], bytes]:
    """Send ``pieces`` (as long as the server reads them) and read the answer until the
    server closes: (status line, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        try:
            for piece in pieces:
                sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading everything: expected
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass  # the rest of what was sent reached a closed socket; the answer came first
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = {k.decode().lower(): v.decode() for k, _, v in (line.partition(b": ") for line in lines)}
    return status, headers, body


def problem(body: bytes) -> Any:
    return json.loads(body)


def test_an_8_mb_header_is_refused_with_431(port: int) -> None:
    pieces = [REQUEST + b"X-Big: ", *([b"a" * 65536] * 128), b"\r\n\r\n"]
    status, headers, body = exchange(port, pieces)
    assert status == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert problem(body) == {
        "type": "/api/v1/problems/headers-too-large", "status": 431,
        "title": "The request's header fields are too large or too many",
        "detail": f"request heads are limited to {MAX_HEAD_BYTES} bytes",
    }


def test_a_header_that_never_ends_is_refused_without_waiting_for_its_end(port: int) -> None:
    # 16 MB of one header value and no end of line: the answer comes while it is sent.
    status, _, body = exchange(port, [REQUEST + b"X-Endless: ", *([b"b" * 4096] * 4096)])
    assert status == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert problem(body)["type"] == "/api/v1/problems/headers-too-large"


def test_more_header_fields_than_the_bound_are_refused_with_431(port: int) -> None:
    fields = b"".join(b"X-Field-%d: 1\r\n" % i for i in range(MAX_HEADER_FIELDS))  # + Host
    status, _, body = exchange(port, [REQUEST + fields + b"\r\n"])
    assert status == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert problem(body)["detail"] == f"requests are limited to {MAX_HEADER_FIELDS} header fields"


def test_a_head_within_the_bounds_is_served_and_a_body_is_not_counted_as_head(port: int) -> None:
    fields = b"".join(b"X-Field-%d: 1\r\n" % i for i in range(MAX_HEADER_FIELDS - 2))
    near_the_bound = b"X-Large: " + b"c" * (MAX_HEAD_BYTES - len(REQUEST + fields) - 200)
    first = REQUEST + fields + near_the_bound + b"\r\n\r\n"
    body = b"{" + b" " * 60_000 + b"}"  # larger than the head bound, within the body's
    second = (b"POST /api/v1/cases HTTP/1.1\r\nHost: caretrail\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)) + body
    status, _, answers = exchange(port, [first, second])  # two requests on one connection
    assert status == b"HTTP/1.1 200 OK"
    assert b"HTTP/1.1 401 Unauthorized" in answers  # the second was read whole and answered
