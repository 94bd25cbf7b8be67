"""Every method a path answers, for the ``Allow`` header of a 405.

FastAPI keeps one route per method and path, and Starlette answers a 405 from the first
route whose path matched: its ``Allow`` names that route's methods only. The header is
made here from every route whose path template matches.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods of every route of ``app`` whose template matches ``path``, sorted."""
    index: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        app.state, "method_index", None
    )
    if index is None:
        index = [
            (compile_path(context.path)[0], frozenset(context.methods))
            for context in iter_route_contexts(app.routes)
            if context.path and context.methods
        ]
        app.state.method_index = index
    return sorted({m for regex, methods in index if regex.match(path) for m in methods})
