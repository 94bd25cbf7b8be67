"""HTTP API benchmark: one uvicorn worker, load from a second process on 127.0.0.1.

Run by hand (not a test)::

    python -m bench.api [--duration 5] [--rounds 5] [--connections 32] [--client auto|wrk|python]

1. Loads the demo school year (one school, ~150 cases, ~25,000 events) into a temporary
   data directory (or reuses ``--data-dir``), adds a teacher, a supervisor and their tokens.
2. Serves, each in its own process with one uvicorn worker (uvloop + httptools, logging
   on as in production, to /dev/null; all started first, the idle ones wait):
   - a bare FastAPI app with one trivial ``async`` endpoint (the baseline);
   - caretrail through ``caretrail serve``'s own code (same app, uvicorn options, projection
     runner and scheduler), once its start-up work (the first sweep) is done;
   - the same with its task-list cache off (``CARETRAIL_TASK_LIST_CACHE=false``), so that
     the task list is also measured as it costs when every request queries the view;
   - the same with the async routes' store calls in the thread pool
     (``ApiConfig(inline_reads=False)``, as on PostgreSQL), against calling SQLite inline.
3. In each of ``--rounds`` rounds, loads each endpoint in turn for ``--duration`` seconds
   from ``wrk`` (if installed) or a small asyncio HTTP/1.1 client in this process:
   requests/s, p50 and p99 latency, non-2xx. A noisy machine drifts over minutes; each
   round compares the endpoints with that round's trivial one (the task list right after
   it), and the medians are kept.
   Endpoints: the trivial one; ``GET /me/tasks`` (teacher; then on the server without
   the cache); ``GET /healthz`` (trivial, through caretrail's middleware);
   ``GET /follow-ups?status=overdue&school_id=`` (supervisor);
   ``POST /cases/{id}/home-visits`` (teacher, cases in rotation).

No target: FastAPI's own request handler serves every route. The figures are the task
list's ratio to the trivial endpoint (median of the rounds' ratios) and its p99.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.http_load import HOST, Result, python_load, raw_request, wrk_load

SCHOOL = "school-001"
TEACHER = f"{SCHOOL}-t01"
SUPERVISOR = f"{SCHOOL}-supervisor"
#: caretrail as served; a second server with its task-list cache off
#: (``CARETRAIL_TASK_LIST_CACHE=false``): the list's cost when every request queries; a
#: third whose async routes call the stores in the thread pool (as on PostgreSQL), to
#: weigh that hop against calling SQLite inline on the event loop.
CARETRAIL = ("caretrail", "uncached", "offloop")


# --------------------------------------------------------------------------- servers
def serve(kind: str, data_dir: str, port: int) -> None:
    """The server process: ``trivial`` (bare FastAPI), ``caretrail``, or ``uncached``
    (caretrail with its task-list cache off)."""
    import uvicorn
    from fastapi import FastAPI

    if kind == "trivial":
        app = FastAPI()

        @app.get("/trivial")
        async def trivial() -> dict[str, bool]:
            return {"ok": True}

        uvicorn.run(app, host=HOST, port=port, log_config=None, access_log=False)
        return

    from adapters.bootstrap import BackgroundWork, build
    from adapters.driving.api.config import ApiConfig
    from adapters.driving.cli.serve import serve_in_process
    from adapters.logging import configure_logging
    from adapters.settings import Settings

    configure_logging("json", "INFO", open(os.devnull, "w"))  # noqa: SIM115 - lives with the process
    settings = Settings(data_dir=Path(data_dir), task_list_cache=kind != "uncached")
    caretrail = build(settings)
    # As ``caretrail serve`` runs by default: the projection runner and the scheduler.
    background = BackgroundWork.for_process(caretrail, scheduler=True)
    # The very app and uvicorn options of ``caretrail serve`` (one worker).
    serve_in_process(caretrail, background, HOST, port, ApiConfig(inline_reads=kind != "offloop"))


def start_server(kind: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start a server process and wait until it accepts connections."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.api", "--serve", kind, "--data-dir", str(data_dir),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_listening(proc, port, f"{kind} server")
    return proc, port


def wait_listening(proc: subprocess.Popen[bytes], port: int, what: str) -> None:
    """Return once ``proc`` accepts connections on ``port`` (RuntimeError if it exits or
    takes over a minute)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.1)


def server_cpu(proc: subprocess.Popen[bytes]) -> tuple[float, float]:
    """The server process's user and system CPU seconds so far."""
    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def settle(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait until the server's start-up work (the scheduler's first sweep) is done: its
    CPU time stops growing for half a second."""

    def cpu() -> float:
        return sum(server_cpu(proc))

    if not Path(f"/proc/{proc.pid}/stat").exists():
        time.sleep(2)  # no /proc: a fixed pause
        return
    deadline = time.monotonic() + timeout
    before = cpu()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu()
        if now - before < 0.025:
            return
        before = now


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server process and wait until it has exited."""
    proc.terminate()
    proc.wait(timeout=30)


# --------------------------------------------------------------------------- data
def prepare(data_dir: Path) -> dict[str, Any]:
    """Demo data (if the directory is empty), users, tokens, cases open for home visits."""
    from adapters.bootstrap import build, build_accounts
    from adapters.driven.auth.models import UserRole
    from adapters.driven.clock import Clock
    from adapters.settings import Settings

    env = {**os.environ, "CARETRAIL_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-c", "from adapters.driving.cli.main import main; main()",
                    "demo", "--if-empty"], env=env, check=True, stdout=subprocess.DEVNULL)
    settings = Settings(data_dir=data_dir)
    accounts = build_accounts(settings, Clock())
    tokens = {}
    for user, role in ((TEACHER, UserRole.TEACHER), (SUPERVISOR, UserRole.SUPERVISOR)):
        accounts.add_user(user, role, [SCHOOL], if_missing=True)
        tokens[user] = accounts.issue_token(user, label="bench", replace=True, days=1).token
    accounts.close()
    caretrail = build(settings)
    try:
        caretrail.runner.catch_up()
        cases = [c.case_id for c in caretrail.read.cases(school_ids=[SCHOOL], limit=100).items
                 if c.state not in ("closed", "identified")]
        events = caretrail.cases.position()
    finally:
        caretrail.close()
    return {"tokens": tokens, "cases": cases, "events": events}


# --------------------------------------------------------------------------- main
#: One endpoint to load: its name, the server kind, the path, the token, the POST body.
Step = tuple[str, str, str, str | None, str | None]
Servers = dict[str, tuple[subprocess.Popen[bytes], int]]


def parse_args() -> argparse.Namespace:
    """The command line (also the hidden ``--serve`` mode of the server processes)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=["trivial", *CARETRAIL], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help="Reuse (or create) this data directory.")
    parser.add_argument("--duration", type=int, default=5, help="Seconds per endpoint and round.")
    parser.add_argument("--rounds", type=int, default=5,
                        help="Rounds; each loads every endpoint in turn (drift hits both sides).")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    return parser.parse_args()


def make_plan(data: dict[str, Any]) -> list[Step]:
    """The endpoints, in the order each round loads them (the trivial one first)."""
    teacher, supervisor = data["tokens"][TEACHER], data["tokens"][SUPERVISOR]
    visit = '{"guardian_met": true}'
    return [
        ("trivial FastAPI endpoint", "trivial", "/trivial", None, None),
        ("GET /me/tasks (teacher)", "caretrail", "/api/v1/me/tasks", teacher, None),
        ("GET /me/tasks (teacher, task-list cache off)", "uncached", "/api/v1/me/tasks",
         teacher, None),
        ("GET /me/tasks (teacher, store calls in the thread pool)", "offloop", "/api/v1/me/tasks",
         teacher, None),
        ("GET /healthz (trivial, caretrail middleware)", "caretrail", "/api/v1/healthz", None, None),
        ("GET /follow-ups?status=overdue&school_id=", "caretrail",
         f"/api/v1/follow-ups?status=overdue&school_id={SCHOOL}", supervisor, None),
        ("POST /cases/{id}/home-visits (teacher)", "caretrail", "", teacher, visit),
    ]


def load_step(step: Step, servers: Servers, client: str, args: argparse.Namespace,
              visits: list[str]) -> Result:
    """Load one endpoint for ``--duration`` seconds, print its line and return its result."""
    name, server, path, token, body = step
    proc, port = servers[server]
    cpu_before = server_cpu(proc)
    if client == "wrk":
        base = f"http://{HOST}:{port}"
        if body is None:
            result = wrk_load(name, base + path, token, args.duration, args.connections)
        else:
            result = wrk_load(name, base + "/", token, args.duration, args.connections,
                              post_paths=visits, body=body)
    else:
        requests = ([raw_request("GET", path, token)] if body is None
                    else [raw_request("POST", v, token, body) for v in visits])
        result = python_load(name, port, requests, args.duration, args.connections)
    (user_after, system_after), (user_before, system_before) = server_cpu(proc), cpu_before
    user, system = user_after - user_before, system_after - system_before
    result.cpu_us = (user + system) / max(1, result.requests) * 1e6
    print(f"  {result.name}: {result.requests_per_s:,.0f} req/s, "
          f"p99 {result.p99_ms:.1f} ms, non-2xx {result.non_2xx}, server CPU "
          f"{user / max(1, result.requests) * 1e6:.0f} us user + "
          f"{system / max(1, result.requests) * 1e6:.0f} us system per request",
          flush=True)
    return result


def run_rounds(plan: list[Step], servers: Servers, client: str, args: argparse.Namespace,
               visits: list[str]) -> list[list[Result]]:
    """Every round loads every endpoint in turn; one list of results per round."""
    rounds: list[list[Result]] = []
    for number in range(1, args.rounds + 1):
        print(f"round {number} of {args.rounds}", flush=True)
        results: list[Result] = []
        # Writes only in the last round: each adds tasks that the reads would return.
        last = number == args.rounds
        for step in plan:
            if step[4] is not None and not last:
                results.append(Result(step[0], float("nan"), float("nan"), float("nan"), 0, 0))
                continue
            results.append(load_step(step, servers, client, args, visits))
        rounds.append(results)
    return rounds


def report(plan: list[Step], rounds: list[list[Result]], client: str, args: argparse.Namespace,
           events: int) -> None:
    """Print the medians table and the task list's ratio to the trivial endpoint per round."""
    print(f"\nclient: {client}, {args.connections} connections, {args.duration} s per endpoint "
          f"and round, {args.rounds} rounds (each: every read in turn; the write in the last), "
          f"one uvicorn worker per server; store: {events:,} events before the run\n")
    print("Medians over the rounds; x trivial is the median of each round's ratio to that "
          "round's trivial endpoint.\n")
    print("| endpoint | requests/s | p50 ms | p99 ms | non-2xx | server CPU µs/request | x trivial |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for i, _ in enumerate(plan):
        measured = [r for r in rounds if r[i].requests > 0]
        runs = [r[i] for r in measured]
        ratio = statistics.median(r[i].requests_per_s / r[0].requests_per_s for r in measured)
        print(f"| {runs[0].name} | {statistics.median(r.requests_per_s for r in runs):,.0f} | "
              f"{statistics.median(r.p50_ms for r in runs):.1f} | "
              f"{statistics.median(r.p99_ms for r in runs):.1f} | {sum(r.non_2xx for r in runs)} | "
              f"{statistics.median(r.cpu_us for r in runs):.0f} | {ratio:.2f} |")
    print()
    for at, entry in enumerate(plan):
        if entry[0].startswith("GET /me/tasks"):
            ratios = [r[at].requests_per_s / r[0].requests_per_s for r in rounds]
            print(f"{entry[0]} / trivial per round: {', '.join(f'{x:.2f}' for x in ratios)}; "
                  f"median {statistics.median(ratios):.2f}")


def main() -> None:
    """Run the benchmark, or serve one endpoint when started with ``--serve``."""
    args = parse_args()
    if args.serve:
        serve(args.serve, args.data_dir, args.port)
        return

    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="caretrail-bench-"))
    print(f"data: {data_dir}; preparing the demo school year...", flush=True)
    data = prepare(data_dir)
    plan = make_plan(data)
    visits = [f"/api/v1/cases/{c}/home-visits" for c in data["cases"]]
    servers = {kind: start_server(kind, data_dir) for kind in ("trivial", *CARETRAIL)}
    try:
        for proc, _ in servers.values():
            settle(proc)
        rounds = run_rounds(plan, servers, client, args, visits)
    finally:
        for proc, _ in servers.values():
            stop_server(proc)
    report(plan, rounds, client, args, data["events"])


if __name__ == "__main__":
    main()
