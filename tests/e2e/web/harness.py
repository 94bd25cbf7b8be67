"""What the browser tests stand on: a real ``caretrail serve`` over demo data, a guarded
Chromium page that may reach nothing but that server, and screenshots for the docs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Route, WebSocketRoute

ROOT = Path(__file__).resolve().parents[3]
CARETRAIL = ROOT / ".venv" / "bin" / "caretrail"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
    # A second wall behind the page's routes: no host name resolves, so not even the
    # browser's own background requests can leave the machine (the server is an IP).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SCHOOL = "school-001"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Served:
    """A running ``caretrail serve``: where it answers, its data, its users and their tokens."""

    base_url: str
    data_dir: Path
    log_path: Path
    users: dict[str, str]
    tokens: dict[str, str]


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing"
    fc_list = shutil.which("fc-list")
    found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True,
                           check=False).stdout if fc_list else ""
    if not found.strip():
        return "no CJK font (fonts-wqy-microhei): Chinese text would render as boxes"
    return None


def caretrail_env(data_dir: Path) -> dict[str, str]:
    """This environment without any CARETRAIL_ setting but the data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARETRAIL_")}
    # The console script's own folder comes first on its sys.path, not the work tree:
    # name the tree, so a worktree runs its own code rather than the editable install's.
    return {**env, "CARETRAIL_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}


def run_caretrail(env: dict[str, str], *args: str, timeout: float = 60) -> str:
    """Run one ``caretrail`` command to its end; its standard output."""
    done = subprocess.run([str(CARETRAIL), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"caretrail {' '.join(args)}: {done.stderr}"
    return done.stdout


def prepare(data_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Load the demo school year into ``data_dir`` and add its people (as ``make run``
    does); their user ids and API tokens, by role."""
    env = caretrail_env(data_dir)
    run_caretrail(env, "demo", timeout=300)
    people = json.loads(run_caretrail(env, "demo-people", "--school", SCHOOL, "--json"))
    return ({p["role"]: p["user_id"] for p in people}, {p["role"]: p["token"] for p in people})


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(data_dir: Path, log_path: Path, port: int) -> subprocess.Popen[bytes]:
    """Start ``caretrail serve`` on ``port`` (scheduler off: pages show a still store)."""
    with log_path.open("wb") as log:  # a file, not a pipe nobody reads that would fill up
        return subprocess.Popen(
            [str(CARETRAIL), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-scheduler"],
            env=caretrail_env(data_dir), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )


def wait_until_healthy(proc: subprocess.Popen[bytes], base_url: str, log_path: Path,
                       deadline_s: float = 60) -> None:
    """Poll ``/api/v1/healthz`` until it answers 200; fail with the server's log if it never does."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            if httpx.get(f"{base_url}/api/v1/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace")[-4000:]
            raise AssertionError(f"caretrail serve did not answer (exit {proc.poll()}):\n{tail}")
        time.sleep(0.1)  # polling a starting server, not waiting for time-based behaviour


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM and wait; kill only if it has not stopped in 30 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class PageWatch:
    """What the pages of one test did besides what it asked: blocked requests, console, errors."""

    origin: str
    blocked: list[str] = field(default_factory=list)
    console: list[ConsoleMessage] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def console_errors(self) -> list[str]:
        """The text of every console message of type error."""
        return [m.text for m in self.console if m.type == "error"]

    def csp_violations(self) -> list[str]:
        """Console messages of Content-Security-Policy refusals."""
        return [text for text in self.console_errors() if "Content Security Policy" in text]

    def allowed(self, url: str) -> bool:
        """Whether ``url`` stays on the machine: the test server, or data in the page itself."""
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob"):
            return True
        return f"{parts.scheme}://{parts.netloc}" == self.origin or (
            parts.scheme in ("ws", "wss") and f"http://{parts.netloc}" == self.origin)

    def guard(self, context: BrowserContext) -> None:
        """Abort, and record, every request of ``context`` that would go anywhere else."""

        def on_request(route: Route) -> None:
            if self.allowed(route.request.url):
                route.continue_()
            else:
                self.blocked.append(route.request.url)
                route.abort("blockedbyclient")

        def on_web_socket(ws: WebSocketRoute) -> None:
            if self.allowed(ws.url):
                ws.connect_to_server()
            else:
                self.blocked.append(ws.url)
                ws.close()

        context.route("**/*", on_request)
        context.route_web_socket(re.compile(".*"), on_web_socket)

    def watch(self, page: Page) -> None:
        """Record ``page``'s console messages and uncaught errors."""
        page.on("console", lambda message: self.console.append(message))
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def problems(self) -> list[str]:
        """What fails any browser test: a request off the machine, a CSP refusal, an uncaught error."""
        return ([f"blocked request to {url}" for url in self.blocked]
                + [f"CSP: {text}" for text in self.csp_violations()]
                + [f"uncaught: {text}" for text in self.page_errors])


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save ``page`` as ``docs/screenshots/<name>.png`` (name: lower-case letters, digits, dashes)."""
    if not _NAME.match(name):
        raise ValueError(f"screenshot name {name!r}: lower-case letters, digits and dashes only")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page, animations="disabled")
    return path


def invitation_path(served: Served, role: str) -> str:
    """A fresh link for the demo user of ``role`` to set a password (path only: the server
    answers at the served port, not the public URL's)."""
    url = run_caretrail(caretrail_env(served.data_dir), "users", "invite", served.users[role],
                        "--either", "--quiet").strip()
    return urlsplit(url).path
