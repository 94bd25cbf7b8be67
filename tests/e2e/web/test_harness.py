"""The browser harness itself: a page cannot leave the machine unnoticed, and CSP holds."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error, Page

from tests.e2e.web.harness import PageWatch

pytestmark = pytest.mark.browser


def test_a_page_going_to_another_host_is_stopped_and_the_attempt_recorded(
    page: Page, page_watch: PageWatch
) -> None:
    with pytest.raises(Error, match="ERR_BLOCKED_BY_CLIENT"):
        page.goto("http://example.invalid/elsewhere")
    assert page_watch.blocked == ["http://example.invalid/elsewhere"]
    assert "blocked request to http://example.invalid/elsewhere" in page_watch.problems()
    page_watch.blocked.clear()  # seen: the fixture would otherwise fail this test


def test_an_injected_inline_script_is_refused_by_the_content_security_policy(
    page: Page, page_watch: PageWatch
) -> None:
    page.goto("/docs")
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.append(script);
    }""")
    assert page.evaluate("window.injected") is None
    assert any("script-src" in text for text in page_watch.csp_violations())
    page_watch.console.clear()  # seen: the fixture would otherwise fail this test
