"""The HTTP load clients of the benchmarks: ``wrk`` when installed, else a small asyncio client."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

#: The servers listen on the loopback address only.
HOST = "127.0.0.1"


@dataclass
class Result:
    """What one load run measured."""

    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    requests: int
    #: The server process's CPU time (user + system) per request answered.
    cpu_us: float = float("nan")


def wrk_load(name: str, url: str, token: str | None, duration: int, connections: int,
             post_paths: list[str] | None = None, body: str | None = None) -> Result:
    """Load with wrk (one thread; the server has the other core)."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    script = None
    if token:
        args += ["-H", f"Authorization: Bearer {token}"]
    if post_paths is not None:
        lines = [
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            f"wrk.body = {json.dumps(body)}",
            "local paths = {" + ", ".join(json.dumps(p) for p in post_paths) + "}",
            "request = function() return wrk.format(nil, paths[math.random(#paths)]) end",
        ]
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        script.write("\n".join(lines) + "\n")
        script.close()
        args += ["-s", script.name]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if script is not None:
        os.unlink(script.name)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Result(
        name=name,
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_wrk_ms(out, "50%"),
        p99_ms=_wrk_ms(out, "99%"),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        requests=total,
    )


def _wrk_ms(out: str, pct: str) -> float:
    value, unit = re.search(rf"^\s+{re.escape(pct)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def python_load(name: str, port: int, requests: list[bytes], duration: int, connections: int) -> Result:
    """Load with an asyncio HTTP/1.1 keep-alive client (when wrk is not installed)."""
    stop = time.perf_counter() + duration
    return _asyncio_load(name, port, requests, connections, lambda: time.perf_counter() < stop)


def count_load(name: str, port: int, requests: list[bytes], total: int, connections: int) -> Result:
    """Send ``total`` requests over ``connections`` keep-alive connections, each sending its
    next request once the answer to its last is in."""
    left = [total]

    def more() -> bool:
        left[0] -= 1
        return left[0] >= 0

    return _asyncio_load(name, port, requests, connections, more)


def _asyncio_load(name: str, port: int, requests: list[bytes], connections: int,
                  more: Callable[[], bool]) -> Result:
    """Each connection sends a random one of ``requests`` while ``more()``; the latency of
    each as the client sees it (queueing in the server included)."""
    latencies: list[float] = []
    statuses: list[int] = []

    async def one() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        while more():
            started = time.perf_counter()
            writer.write(random.choice(requests))
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses.append(int(head[9:12]))
        writer.close()

    async def run() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(run())
    latencies.sort()
    return Result(
        name=name, requests_per_s=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        non_2xx=sum(1 for s in statuses if not 200 <= s < 300), requests=len(latencies),
    )


def raw_request(method: str, path: str, token: str | None, body: str | None = None,
                headers: dict[str, str] | None = None) -> bytes:
    """One HTTP/1.1 request, ready to send (``headers``: more of them, such as a cookie)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
    payload = (body or "").encode()
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
