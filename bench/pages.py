"""Web pages benchmark: page weight, time to a usable page on Slow 3G, server time per page.

Run by hand (not a test)::

    python -m bench.pages [--data-dir D] [--schools 40] [--requests 1000] [--concurrency 8]
                          [--writer-rate 20] [--slow-runs 3]

1. The store: the demo county (``caretrail demo --schools 40``) in ``bench/out/county-40/``,
   made once by ``bench.catch_up``'s generator and shared with it; or ``--data-dir`` (the
   demo is loaded into it if it is empty). The demo people of school-001 are (re)made as
   ``make run`` makes them (``caretrail demo-people``): the busiest head teacher and the
   德育主任, each logged in through the login form for a session cookie; every teacher
   of the school gets an account (the board offers each as a mentor).
2. One ``caretrail serve`` (``bench.api``'s server: one uvicorn worker, the views and the
   scheduler running, logging to /dev/null), once its first sweep is done.
3. Page weight: 我的任务 (``/tasks``, the teacher), the case page (``/cases/{id}``, the
   teacher's case with the most overdue task) and the supervisor board (``/board``), each
   in a fresh Chromium context (``/usr/bin/chromium``, cold cache, the cache also
   disabled through CDP): the sum of CDP ``Network.loadingFinished.encodedDataLength``
   over every request of the page, i.e. bytes as transferred (compressed bodies and
   their response headers). Target <= 60 KB each.
4. Time to a usable page on Chrome's "Slow 3G" profile (400 kbit/s down and up, 400 ms
   round trip, ``Network.emulateNetworkConditions`` through Playwright's CDP session),
   cold cache, 我的任务, ``--slow-runs`` times: "usable" is the load event (the HTML and
   the stylesheet are in: the list is laid out as it stays), with the list checked
   visible; DOMContentLoaded and the first contentful paint beside it, all from the
   page's navigation start. Target <= 3 s.
5. Server time per page: ``--requests`` requests over ``--concurrency`` keep-alive
   connections for 我的任务 and then the case page, as a browser asks (the session cookie,
   ``Accept-Encoding: gzip``), while a separate process records steps through the API
   with the teacher's API token at a steady ``--writer-rate`` per second (growth-diary
   notes and guardian phone calls, in turn, on other teachers' open cases of the school).
   Latency as the client sees it (queueing behind the other connections included),
   p50 and p99; target p99 <= 25 ms. Then a fifth as many over one connection: each
   request alone. The server's CPU per page request (the writer's steps included) and
   the writer's achieved rate are printed too; ``--writer-rate 0`` times the pages alone.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx

from bench.api import settle, start_server, stop_server, wait_listening
from bench.catch_up import county
from bench.http_load import HOST, Result, count_load, raw_request

SCHOOL = "school-001"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Chrome's "Slow 3G", as the issue states it: 400 kbit/s each way, 400 ms round trip.
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8,
           "uploadThroughput": 400_000 / 8}
WEIGHT_TARGET_KB = 60
USABLE_TARGET_S = 3.0
P99_TARGET_MS = 25.0
#: What a browser sends with a page request, besides the cookie.
BROWSER_HEADERS = {"Accept": "text/html", "Accept-Encoding": "gzip, deflate, br",
                   "Accept-Language": "zh-CN,zh;q=0.9"}


@dataclass
class People:
    """The demo people of the school: user ids, session cookies, the teacher's API token."""

    teacher: str
    supervisor: str
    teacher_session: str
    supervisor_session: str
    teacher_token: str


# --------------------------------------------------------------------------- data
def data_dir(args: argparse.Namespace) -> Path:
    """The store: ``--data-dir`` (the demo loaded into it if empty), else the shared county."""
    if args.data_dir is None:
        return county(args.schools)
    path = Path(args.data_dir)
    subprocess.run([str(Path(sys.executable).parent / "caretrail"), "demo", "--if-empty",
                    "--schools", str(args.schools)], env=caretrail_env(path), check=True)
    return path


def caretrail_env(path: Path) -> dict[str, str]:
    """This environment, with the data directory."""
    return {**os.environ, "CARETRAIL_DATA_DIR": str(path)}


def demo_people(path: Path) -> dict[str, dict[str, str]]:
    """``caretrail demo-people``: a new password and token for each demo person, by role
    (it adds every teacher of the school too: the board offers each of them as a mentor)."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "caretrail"), "demo-people", "--school", SCHOOL, "--json"],
        env=caretrail_env(path), check=True, capture_output=True, text=True)
    return {p["role"]: p for p in json.loads(done.stdout)}


def log_in(base: str, user_id: str, password: str) -> str:
    """Log in through the login form; the session cookie's value."""
    token = secrets.token_urlsafe(24)  # the form's double-submit token, as its cookie holds it
    answer = httpx.post(f"{base}/login", data={"user_id": user_id, "password": password,
                                               "csrf": token, "next": "/"},
                        cookies={"caretrail_login": token}, timeout=30)
    session = answer.cookies.get("caretrail_session")
    if answer.status_code != 303 or not session:
        raise SystemExit(f"logging in as {user_id} failed: HTTP {answer.status_code}")
    return session


def api_get(base: str, token: str, path: str) -> Any:
    """One API read with a token."""
    answer = httpx.get(f"{base}/api/v1{path}", headers={"Authorization": f"Bearer {token}",
                                                      "X-Purpose": "benchmark"}, timeout=30)
    answer.raise_for_status()
    return answer.json()


def teacher_case(base: str, people: People) -> str:
    """The case of the teacher's most overdue task (the first line of 我的任务)."""
    tasks = api_get(base, people.teacher_token, "/me/tasks?limit=1")["items"]
    if not tasks:
        raise SystemExit(f"{people.teacher} has no open task")
    return str(tasks[0]["case_id"])


def writer_cases(base: str, token: str, teacher: str) -> list[str]:
    """Open cases of the school whose head teacher is someone else (the measured pages
    stay the same from run to run)."""
    found: list[str] = []
    after = ""
    while len(found) < 100:
        page = api_get(base, token, f"/cases?school_id={SCHOOL}&limit=100{after}")
        found += [c["case_id"] for c in page["items"]
                  if c["state"] != "closed" and c.get("head_teacher_id") != teacher]
        if not page.get("next_cursor"):
            break
        after = f"&after={page['next_cursor']}"
    return found


# --------------------------------------------------------------------------- browser
def page_weights(base: str, pages: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """Each page in a fresh context (cold cache): bytes as transferred per request."""
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name, path, session in pages:
                context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
                context.add_cookies([{"name": "caretrail_session", "value": session,
                                      "url": base}])
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                urls: dict[str, str] = {}
                sizes: dict[str, int] = {}
                encodings: dict[str, str] = {}

                def seen(event: dict[str, Any], urls: dict[str, str] = urls,
                         encodings: dict[str, str] = encodings) -> None:
                    urls[event["requestId"]] = event["response"]["url"]
                    headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
                    encodings[event["requestId"]] = headers.get("content-encoding", "identity")

                def finished(event: dict[str, Any], sizes: dict[str, int] = sizes) -> None:
                    sizes[event["requestId"]] = int(event["encodedDataLength"])

                cdp.on("Network.responseReceived", seen)
                cdp.on("Network.loadingFinished", finished)
                answer = page.goto(base + path, wait_until="load")
                if answer is None or answer.status != 200:
                    raise SystemExit(f"{path}: HTTP {answer.status if answer else '?'}")
                page.wait_for_load_state("networkidle")
                html = answer.body()
                found.append({
                    "name": name, "total": sum(sizes.values()),
                    "requests": [(urls.get(r, "?").removeprefix(base), encodings.get(r, "?"), n)
                                 for r, n in sizes.items()],
                    "html_bytes": len(html), "html_gzip": len(gzip.compress(html, 6)),
                })
                context.close()
        finally:
            browser.close()
    return found


def slow_3g(base: str, path: str, session: str, runs: int, ready: str) -> list[dict[str, float]]:
    """Load ``path`` on Slow 3G, cold cache, ``runs`` times: navigation timings in seconds,
    and the wall clock from asking for the page to its load event."""
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
                context.add_cookies([{"name": "caretrail_session", "value": session, "url": base}])
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                cdp.send("Network.emulateNetworkConditions", SLOW_3G)
                started = time.perf_counter()
                page.goto(base + path, wait_until="load", timeout=60_000)
                wall = time.perf_counter() - started
                if not page.locator(ready).first.is_visible():
                    raise SystemExit(f"{path}: {ready} is not visible after the load event")
                timing = page.evaluate("""() => {
                    const nav = performance.getEntriesByType("navigation")[0];
                    const fcp = performance.getEntriesByName("first-contentful-paint")[0];
                    return {html: nav.responseEnd, dcl: nav.domContentLoadedEventEnd,
                            load: nav.loadEventEnd, fcp: fcp ? fcp.startTime : NaN};
                }""")
                found.append({**{k: v / 1000 for k, v in timing.items()}, "wall": wall})
                context.close()
        finally:
            browser.close()
    return found


# --------------------------------------------------------------------------- writer
STEPS = (("notes", '{"text": "Benchmark note: read aloud in class."}'),
         ("contacts", '{"party": "guardian", "channel": "phone"}'))


def write_steps(port: int, token: str, cases: list[str], rate: float, stop: Event,
                out: multiprocessing.Queue[dict[str, Any]]) -> None:
    """The writer process: a step every ``1 / rate`` s, on time (a late one is sent at
    once, over another connection if the others are busy), until ``stop`` is set."""

    async def run() -> dict[str, Any]:
        idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        statuses: list[int] = []
        latencies: list[float] = []

        async def send(n: int) -> None:
            step, body = STEPS[n % len(STEPS)]
            path = f"/api/v1/cases/{cases[(n // len(STEPS)) % len(cases)]}/{step}"
            request = raw_request("POST", path, token, body)
            started = time.perf_counter()
            while True:
                reused = bool(idle)
                reader, writer = idle.pop() if idle else await asyncio.open_connection(HOST, port)
                try:
                    writer.write(request)
                    head = await reader.readuntil(b"\r\n\r\n")
                    break
                except (ConnectionError, asyncio.IncompleteReadError):
                    writer.close()
                    if not reused:
                        raise
                    # uvicorn closes a connection idle for 5 s: send on another one
            length = int(head.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses.append(int(head[9:12]))
            idle.append((reader, writer))

        started = time.perf_counter()
        pending: set[asyncio.Task[None]] = set()
        n = 0
        while rate > 0 and not stop.is_set():
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))  # the writer's own pace
            task = asyncio.create_task(send(n))
            pending.add(task)
            task.add_done_callback(pending.discard)
            n += 1
        if rate <= 0:
            await asyncio.to_thread(stop.wait)  # --writer-rate 0: the pages alone
        elapsed = time.perf_counter() - started
        await asyncio.gather(*pending)
        latencies.sort()
        return {"sent": n, "seconds": elapsed, "answered": len(statuses),
                "non_2xx": sum(1 for s in statuses if not 200 <= s < 300),
                "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
                "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000
                if latencies else float("nan")}

    out.put(asyncio.run(run()))


def server_times(
    port: int, proc: subprocess.Popen[bytes], people: People, case_id: str, cases: list[str],
    args: argparse.Namespace,
) -> tuple[list[tuple[Result, float, float]], dict[str, Any]]:
    """Both pages loaded in turn while the writer runs: results, and the server's user and
    system CPU µs per page request (the writer's steps and the views' catching up included)."""
    stop = multiprocessing.Event()
    out: multiprocessing.Queue[dict[str, Any]] = multiprocessing.Queue()
    writer = multiprocessing.Process(target=write_steps, args=(
        port, people.teacher_token, cases, args.writer_rate, stop, out))
    headers = {**BROWSER_HEADERS, "Cookie": f"caretrail_session={people.teacher_session}"}
    results = []
    writer.start()
    try:
        time.sleep(1.0)  # the writer reaches its pace before the pages are timed
        pages = (("我的任务 GET /tasks", "/tasks"), ("case page GET /cases/{id}", f"/cases/{case_id}"))
        # Then one connection: each request alone, the page's own time without queueing.
        for (name, path), connections, total in [
            *((page, args.concurrency, args.requests) for page in pages),
            *((page, 1, max(1, args.requests // 5)) for page in pages),
        ]:
            user, system = tree_cpu(proc)
            result = count_load(f"{name}, {connections} connection{'s' if connections > 1 else ''}",
                                port, [raw_request("GET", path, None, headers=headers)], total,
                                connections)
            user_after, system_after = tree_cpu(proc)
            results.append((result, (user_after - user) / result.requests * 1e6,
                            (system_after - system) / result.requests * 1e6))
    finally:
        stop.set()
        wrote = out.get(timeout=60)
        writer.join(timeout=30)
    return results, wrote


# --------------------------------------------------------------------------- server
def start_pages_server(path: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    """One worker: ``bench.api``'s server (``caretrail serve``'s code in process). More:
    ``caretrail serve --workers N`` itself (the views and the scheduler in its main process)."""
    if workers == 1:
        return start_server("caretrail", path)
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "caretrail"), "serve", "--host", HOST, "--port", str(port),
         "--workers", str(workers), "--log-format", "json"],
        env=caretrail_env(path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_listening(proc, port, "caretrail serve --workers")
    return proc, port


def tree_cpu(proc: subprocess.Popen[bytes]) -> tuple[float, float]:
    """User and system CPU seconds so far of the server process and every process under it
    (uvicorn's workers), from ``/proc``."""
    parents: dict[int, int] = {}
    times: dict[int, tuple[float, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) / tick, int(fields[12]) / tick)
    tree, grew = {proc.pid}, True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        grew = bool(below)
    return (sum(times.get(pid, (0.0, 0.0))[0] for pid in tree),
            sum(times.get(pid, (0.0, 0.0))[1] for pid in tree))


# --------------------------------------------------------------------------- main
def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="Use (or fill) this data directory instead of "
                        "bench/out/county-N.")
    parser.add_argument("--schools", type=int, default=40, help="Schools of the demo county.")
    parser.add_argument("--requests", type=int, default=1000, help="Requests per page timed.")
    parser.add_argument("--concurrency", type=int, default=8, help="Connections loading a page.")
    parser.add_argument("--writer-rate", type=float, default=20.0,
                        help="Steps written per second (0: none, the pages alone).")
    parser.add_argument("--workers", type=int, default=1,
                        help="Server worker processes (more than 1: `caretrail serve --workers N`).")
    parser.add_argument("--slow-runs", type=int, default=3, help="Slow 3G loads of 我的任务.")
    return parser.parse_args()


def report_weights(weights: list[dict[str, Any]]) -> None:
    """The page weights, and what each page loads."""
    print("\n1. Page weight, cold cache: bytes as transferred (CDP Network.loadingFinished "
          f"encodedDataLength: compressed bodies + response headers); target <= {WEIGHT_TARGET_KB} KB\n")
    print("| page | transferred KB | requests | HTML KB as sent / uncompressed / gzip -6 |")
    print("|---|---:|---:|---:|")
    for w in weights:
        html = next((n for url, _, n in w["requests"] if not url.startswith("/static/")), 0)
        print(f"| {w['name']} | {w['total'] / 1000:.1f} | {len(w['requests'])} | "
              f"{html / 1000:.1f} / {w['html_bytes'] / 1000:.1f} / {w['html_gzip'] / 1000:.1f} |")
    for w in weights:
        parts = ", ".join(f"{url.split('?')[0] if url.startswith('/static/') else 'the page'} "
                          f"{n / 1000:.1f} KB ({enc})" for url, enc, n in w["requests"])
        print(f"  {w['name']}: {parts}")


def main() -> None:
    """Run the benchmark."""
    args = parse_args()
    path = data_dir(args)
    print(f"data: {path}; the demo people of {SCHOOL}...", flush=True)
    found = demo_people(path)
    proc, port = start_pages_server(path, args.workers)
    base = f"http://{HOST}:{port}"
    try:
        settle(proc)
        teacher, supervisor = found["teacher"], found["supervisor"]
        people = People(teacher["user_id"], supervisor["user_id"],
                        log_in(base, teacher["user_id"], teacher["password"]),
                        log_in(base, supervisor["user_id"], supervisor["password"]),
                        teacher["token"])
        case_id = teacher_case(base, people)
        cases = writer_cases(base, found["supervisor"]["token"], people.teacher)
        print(f"teacher {people.teacher}, supervisor {people.supervisor}; "
              f"{len(cases)} open cases of other teachers for the writer", flush=True)
        weights = page_weights(base, [
            ("我的任务 /tasks (teacher)", "/tasks", people.teacher_session),
            ("case page /cases/{id} (teacher)", f"/cases/{case_id}", people.teacher_session),
            ("board /board (德育主任)", "/board", people.supervisor_session),
        ])
        report_weights(weights)
        slow = slow_3g(base, "/tasks", people.teacher_session, args.slow_runs, "ul.tasks")
        print("\n2. 我的任务 on Slow 3G (400 kbit/s each way, 400 ms RTT, CDP emulation: per "
              "request, no TCP or TLS handshake), cold cache; seconds from navigation start. "
              f"Usable = the load event, the task list visible; target <= {USABLE_TARGET_S:.0f} s\n")
        print("| run | HTML in | first contentful paint | DOMContentLoaded | usable (load) | "
              "wall clock to load |")
        print("|---|---:|---:|---:|---:|---:|")
        for i, t in enumerate(slow, 1):
            print(f"| {i} | {t['html']:.2f} | {t['fcp']:.2f} | {t['dcl']:.2f} | {t['load']:.2f} | "
                  f"{t['wall']:.2f} |")
        print(f"usable: median {statistics.median(t['load'] for t in slow):.2f} s, "
              f"worst {max(t['load'] for t in slow):.2f} s")
        results, wrote = server_times(port, proc, people, case_id, cases, args)
    finally:
        stop_server(proc)
    print(f"\n3. Server time per page: {args.requests} requests over {args.concurrency} concurrent "
          f"keep-alive connections (then {max(1, args.requests // 5)} over one), "
          f"{'one uvicorn worker' if args.workers == 1 else f'{args.workers} uvicorn workers'}; "
          f"latency as the client sees it; target p99 <= {P99_TARGET_MS:.0f} ms at "
          f"{args.concurrency} connections\n")
    print("| page | p50 ms | p99 ms | requests/s | non-2xx | server CPU µs/request (user + system) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r, user, system in results:
        print(f"| {r.name} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.requests_per_s:,.0f} | "
              f"{r.non_2xx} | {user:,.0f} + {system:,.0f} |")
    print("(server CPU per page request includes the writer's steps and the views catching up)")
    print(f"writer beside it: {wrote['answered']} steps in {wrote['seconds']:.1f} s = "
          f"{wrote['answered'] / max(wrote['seconds'], 1e-9):.1f} per second (asked {args.writer_rate:g}), "
          f"non-2xx {wrote['non_2xx']}, p50 {wrote['p50_ms']:.1f} ms, p99 {wrote['p99_ms']:.1f} ms")


if __name__ == "__main__":
    main()
