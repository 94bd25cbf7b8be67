"""Browser fixtures: ``served`` (a real server over demo data), ``browser``, ``page``, ``new_page``.

A test module marks itself ``pytestmark = pytest.mark.browser``; a test picks its viewport
with ``@pytest.mark.viewport(width, height)`` (default 1280x800). Every page may reach the
test server only: any other request is aborted and fails the test, and so does a
Content-Security-Policy refusal or an uncaught script error. Other console errors are the
test's to judge (``page_watch.console_errors()``): a page showing a 401 logs one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.web.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PageWatch,
    Served,
    free_port,
    missing_browser,
    prepare,
    start,
    stop,
    wait_until_healthy,
)

DEFAULT_VIEWPORT = (1280, 800)
NewPage = Callable[..., Page]


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``caretrail serve`` on a free port over the demo school (made once per session)."""
    home = tmp_path_factory.mktemp("served")
    data_dir, log_path = home / "data", home / "serve.log"
    users, tokens = prepare(data_dir)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    proc = start(data_dir, log_path, port)
    try:
        wait_until_healthy(proc, base_url, log_path)
        yield Served(base_url=base_url, data_dir=data_dir, log_path=log_path,
                     users=users, tokens=tokens)
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium through Playwright (skips, or fails on CI, without it)."""
    reason = missing_browser()
    if reason is not None:
        message = f"browser tests: {reason} (run `make test` as root to install it)"
        if os.environ.get("CARETRAIL_REQUIRE_BROWSER"):
            pytest.fail(f"CARETRAIL_REQUIRE_BROWSER is set but {message}")
        pytest.skip(message)
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
    finally:
        playwright.stop()


@pytest.fixture
def page_watch(served: Served) -> PageWatch:
    """What this test's pages did: requests blocked, console messages, uncaught errors."""
    return PageWatch(origin=served.base_url)


@pytest.fixture
def new_page(browser: Browser, served: Served, page_watch: PageWatch) -> Iterator[NewPage]:
    """``new_page(width, height)``: a page in a fresh zh-CN context, relative URLs on the server."""
    contexts = []

    def make(width: int = DEFAULT_VIEWPORT[0], height: int = DEFAULT_VIEWPORT[1]) -> Page:
        context = browser.new_context(
            base_url=served.base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
            viewport={"width": width, "height": height}, service_workers="block",
        )
        contexts.append(context)
        page_watch.guard(context)
        page = context.new_page()
        page_watch.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()
    problems = page_watch.problems()
    if problems:
        pytest.fail("the pages did what no page may:\n" + "\n".join(problems))


@pytest.fixture
def page(request: pytest.FixtureRequest, new_page: NewPage) -> Page:
    """One page at the test's ``viewport`` mark (default 1280x800)."""
    mark = request.node.get_closest_marker("viewport")
    width, height = mark.args if mark else DEFAULT_VIEWPORT
    return new_page(width, height)
