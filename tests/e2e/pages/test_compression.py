"""What a page costs on the wire: compressed for a browser that asks (every security header
kept), and no request for an icon file."""

from __future__ import annotations

import gzip

from tests.e2e.pages.conftest import Web

#: The headers every answer carries (``adapters.driving.api.security_headers``).
SECURITY = ("content-security-policy", "x-content-type-options", "x-frame-options",
            "referrer-policy")


def _raw(web: Web, url: str, who: str, encoding: str) -> tuple[dict[str, str], bytes]:
    """The answer's headers and its body as it came over the wire (not decoded)."""

    async def fetch() -> tuple[dict[str, str], bytes]:
        client = web.client(who)
        request = client.build_request("GET", url, headers={"Accept-Encoding": encoding})
        response = await client.send(request, stream=True)
        body = b"".join([part async for part in response.aiter_raw()])
        await response.aclose()
        return dict(response.headers), body

    result: tuple[dict[str, str], bytes] = web.portal.call(fetch)
    return result


def test_a_page_is_sent_gzip_compressed_to_a_browser_that_asks_with_its_security_headers(
    web: Web,
) -> None:
    case_id = web.open_case(n=1)
    web.log_in("teacher")
    headers, body = _raw(web, f"/cases/{case_id}", "teacher", "gzip, deflate, br")
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    page = gzip.decompress(body).decode()
    assert "<h1>王小明 · 三年级2班</h1>" in page
    assert int(headers["content-length"]) == len(body) < len(page.encode())
    for name in SECURITY:
        assert headers[name], name
    assert headers["cache-control"] == "no-store"


def test_a_page_is_sent_as_it_is_to_a_client_that_does_not_ask_for_compression(web: Web) -> None:
    case_id = web.open_case(n=1)
    web.log_in("teacher")
    headers, body = _raw(web, f"/cases/{case_id}", "teacher", "identity")
    assert "content-encoding" not in headers
    assert "王小明" in body.decode()
    for name in SECURITY:
        assert headers[name], name


def test_the_stylesheet_is_compressed_and_a_small_answer_is_not(web: Web) -> None:
    headers, body = _raw(web, "/static/caretrail.css", "anonymous", "gzip")
    assert headers["content-encoding"] == "gzip"
    assert b"mobile first" in gzip.decompress(body)
    small, _ = _raw(web, "/api/v1/healthz", "anonymous", "gzip")
    assert "content-encoding" not in small
    assert small["x-content-type-options"] == "nosniff"


def test_a_page_names_its_icon_inline_so_a_browser_asks_for_no_icon_file(web: Web) -> None:
    # Without it a browser asks for /favicon.ico after every page: one more round trip on
    # a slow link, answered by the not-found page.
    page = web.get("/login")
    assert '<link rel="icon" href="data:,">' in page.text
