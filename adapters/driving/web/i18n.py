"""Translations: gettext catalogs read with Babel, ``zh_CN`` first, ``en`` second.

The catalogs are the ``.po`` files under ``locales/`` (no compiled files in the
repository): each is read and compiled in memory once per process. Message ids are
English; both catalogs translate every one (``tests/unit/web/test_catalogs.py``).
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

#: The languages of the pages, the default first.
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = LOCALES[0]
LOCALE_DIR = Path(__file__).parent / "locales"
#: How each language names itself in the switch.
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def catalog_path(locale: str) -> Path:
    """Where a language's catalog lives."""
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> Translations:
    """The translations of ``locale`` (one of :data:`LOCALES`)."""
    if locale not in LOCALES:
        raise ValueError(f"no catalog for {locale!r}")
    with catalog_path(locale).open("rb") as f:
        catalog = read_po(f, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The language of a request: the one the person chose, else the best of their
    browser's ``Accept-Language`` that we have, else Chinese."""
    if chosen in LOCALES:
        return chosen
    for tag in _preferred(accept_language or ""):
        tag = tag.replace("-", "_").lower()
        for locale in LOCALES:
            if tag == locale.lower() or tag == locale.split("_")[0].lower() or (
                tag.startswith("zh") and locale == "zh_CN"
            ):
                return locale
    return DEFAULT_LOCALE


def _preferred(header: str) -> list[str]:
    """Language tags of an ``Accept-Language`` header, most wanted first."""
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, n, tag))
    return [tag for _, _, tag in sorted(ranked)]
