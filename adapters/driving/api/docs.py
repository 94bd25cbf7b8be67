"""The interactive API docs at ``/docs``, served offline from an installed package's files.

FastAPI's own ``/docs`` loads Swagger UI from a CDN, which this service must never reach.
The files come from ``fastapi-offline`` (Swagger UI 5): ``swagger-ui-bundle``'s Swagger UI
4.15 cannot read an OpenAPI 3.1 document, which is what FastAPI writes.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from adapters.driving.api.security_headers import CSP, csp_with

DOCS_URL = "/docs"
ASSETS_URL = "/api-assets/swagger"
#: The package and folder holding swagger-ui-bundle.js, swagger-ui.css and favicon.png.
ASSETS_PACKAGE = ("fastapi_offline", "static")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def install_docs(app: FastAPI) -> dict[str, str]:
    """Serve ``/docs`` and its assets; the page's own Content-Security-Policy, by path."""
    assert app.openapi_url is not None
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} API",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        # The validator badge would send the document to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )
    body = bytes(page.body)

    async def docs(_: Request) -> HTMLResponse:
        return HTMLResponse(body)

    # Plain Starlette routes, like FastAPI's own /openapi.json: no API route, so no
    # permission to declare, and outside the schema.
    app.router.add_route(DOCS_URL, docs, methods=["GET"], include_in_schema=False)
    app.mount(ASSETS_URL, StaticFiles(packages=[ASSETS_PACKAGE]), name="swagger-assets")
    return {DOCS_URL: docs_policy(body)}


def docs_policy(page: bytes) -> str:
    """The default policy, plus the hashes of the page's inline scripts (its start-up call)."""
    # A hash allows exactly that script and nothing injected beside it, unlike 'unsafe-inline'.
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in (m.group(1).encode() for m in _INLINE_SCRIPT.finditer(page.decode()))
    ]
    return csp_with(CSP, "script-src", *hashes)
