"""``/docs`` is served from caretrail's own files, and every response carries the security headers."""

from __future__ import annotations

import base64
import hashlib
import re

import anyio
import httpx
import pytest
from fastapi import FastAPI

from adapters.driving.api.security_headers import CSP, install_security_headers
from tests.e2e.api.conftest import Api

ROOT = "http://testserver"
STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def _references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]*)"', html) + re.findall(r"url: '([^']*)'", html)


def test_the_docs_page_needs_no_token_and_references_only_the_servers_own_urls(api: Api) -> None:
    page = api.get(f"{ROOT}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert re.findall(r"(?:https?:)?//", page.text) == []
    references = _references(page.text)
    assert len(references) == 4  # stylesheet, icon, script, OpenAPI document
    assert all(url.startswith("/") and not url.startswith("//") for url in references)


@pytest.mark.parametrize(("suffix", "content_type"), [
    (".js", "text/javascript"), (".css", "text/css"), (".png", "image/png"), (".json", "application/json"),
])
def test_each_asset_the_docs_page_references_is_served(api: Api, suffix: str, content_type: str) -> None:
    [url] = [u for u in _references(api.get(f"{ROOT}/docs").text) if u.endswith(suffix)]
    asset = api.get(f"{ROOT}{url}")
    assert asset.status_code == 200
    assert asset.headers["content-type"].startswith(content_type)
    assert len(asset.content) > 1000


def test_fastapis_own_cdn_pages_are_gone_and_the_openapi_document_stays(api: Api) -> None:
    assert api.get(f"{ROOT}/redoc").status_code == 404
    document = api.get(f"{ROOT}/openapi.json").json()
    assert document["info"]["title"] == "caretrail"
    assert not any(path.startswith(("/docs", "/api-assets")) for path in document["paths"])


@pytest.mark.parametrize("path", ["/healthz", "/me", "/cases/not-a-uuid", "/no-such-route"])
def test_api_answers_success_or_error_carry_the_security_headers_and_the_strict_policy(
    api: Api, path: str
) -> None:
    response = api.get(path, who="teacher" if path.startswith("/cases") else None)
    assert {k: response.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
    assert response.headers["content-security-policy"] == STRICT


def test_the_docs_policy_allows_its_one_inline_script_by_hash_and_nothing_else_inline(api: Api) -> None:
    page = api.get(f"{ROOT}/docs")
    assert {k: page.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
    [script] = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = dict(d.split(" ", 1) for d in page.headers["content-security-policy"].split("; "))
    assert policy["script-src"] == f"'self' 'sha256-{digest}'"
    assert policy["style-src"] == "'self'"
    assert "unsafe" not in page.headers["content-security-policy"]


def test_a_crash_answered_past_every_middleware_still_carries_the_headers() -> None:
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    install_security_headers(app)

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=ROOT) as client:
            return await client.get("/boom")

    response = anyio.run(get)
    assert response.status_code == 500
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-frame-options"] == "DENY"
