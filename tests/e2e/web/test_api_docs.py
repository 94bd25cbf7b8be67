"""The API's interactive docs in a real browser: rendered from the server's own files."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.web.harness import PageWatch, screenshot

pytestmark = pytest.mark.browser


@pytest.mark.viewport(1280, 800)
def test_swagger_ui_renders_the_api_offline_with_no_console_error(page: Page, page_watch: PageWatch) -> None:
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("caretrail")
    expect(page.locator(".swagger-ui .opblock-tag-section").first).to_be_visible()
    expect(page.get_by_text("留守儿童关爱跟踪")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert page_watch.blocked == []
    assert page_watch.console_errors() == []
    assert page_watch.page_errors == []
    screenshot(page, "api-docs")
