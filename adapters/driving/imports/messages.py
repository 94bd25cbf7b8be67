"""The import's problems and reports in words, in Chinese or English (the pages' catalogs)."""

from __future__ import annotations

import os
from typing import Any

from adapters.driving.web.i18n import DEFAULT_LOCALE, translations
from adapters.driving.web.import_names import FILE_PROBLEMS, REPORT, ROW_PROBLEMS


def say(locale: str, table: str, code: str, **params: Any) -> str:
    """One message of the import in ``locale``."""
    message = {"file": FILE_PROBLEMS, "row": ROW_PROBLEMS, "report": REPORT}[table][code]
    return translations(locale).gettext(message) % params


def shell_locale(chosen: str | None = None) -> str:
    """The language of a shell: ``--lang``, else ``LC_ALL``/``LANG`` (zh or en), else Chinese."""
    for value in (chosen, os.environ.get("LC_ALL"), os.environ.get("LANG")):
        if value and value.lower().startswith("en"):
            return "en"
        if value and value.lower().startswith("zh"):
            return "zh_CN"
    return DEFAULT_LOCALE
