"""What counts as readable text at the edges (API bodies, command-line arguments).

Checked where input arrives, not in the domain's value types: stored events are
validated with those on decoding, and a stricter rule there could make old events
unreadable.
"""

from __future__ import annotations

import unicodedata
from typing import Any

_LINE_BREAKS = frozenset("\n\r\t")


def check_text(value: Any, where: str) -> None:
    """ValueError unless every string in ``value`` (a string, or dicts and lists of them)
    is text a person could read: no control characters (line breaks and tabs aside), and
    not only invisible ones (a zero-width space). ``where`` names the value in the error."""
    if isinstance(value, str):
        if value.isprintable() and (value.strip(" ") or not value):
            return  # no control, format or separator character but spaces, and a visible one
        if any(unicodedata.category(c) == "Cs" for c in value):  # undecodable bytes (argv)
            raise ValueError(f"{where}: is not UTF-8 text")
        if any(unicodedata.category(c) == "Cc" and c not in _LINE_BREAKS for c in value):
            raise ValueError(f"{where}: holds a control character")
        if value and all(unicodedata.category(c)[0] in "CZ" for c in value):
            raise ValueError(f"{where}: has no visible character")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_text(item, f"{where}[{i}]")
