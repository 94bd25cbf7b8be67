"""Every string of the pages is translated in both catalogs, with the same placeholders."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from adapters.driving.web.i18n import LOCALE_DIR, LOCALES, catalog_path, negotiate, translations

WEB = LOCALE_DIR.parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def source_messages() -> set[str]:
    """Every message id the pages' code and templates use."""
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(WEB), METHODS, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found - {""}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_of_the_pages_is_translated(locale: str) -> None:
    with catalog_path(locale).open("rb") as f:
        catalog = read_po(f, locale=locale)
    missing = sorted(m for m in source_messages() if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, f"{locale} lacks: {missing}"
    fuzzy = sorted(str(m.id) for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"{locale} has unchecked (fuzzy) translations: {fuzzy}"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_translation_keeps_the_placeholders_of_its_message(locale: str) -> None:
    with catalog_path(locale).open("rb") as f:
        catalog = read_po(f, locale=locale)
    wrong = [str(m.id) for m in catalog if m.id and
             sorted(PLACEHOLDER.findall(str(m.id))) != sorted(PLACEHOLDER.findall(str(m.string)))]
    assert not wrong, wrong


def test_the_pages_speak_chinese_first_and_english_when_asked() -> None:
    assert translations("zh_CN").gettext("My tasks") == "我的任务"
    assert translations("en").gettext("My tasks") == "My tasks"
    assert negotiate(None, None) == "zh_CN"
    assert negotiate(None, "en-US,en;q=0.9") == "en"
    assert negotiate(None, "fr-FR, en;q=0.5, zh-CN;q=0.8") == "zh_CN"
    assert negotiate("en", "zh-CN") == "en"  # the person's own choice wins
    assert negotiate("xx", "de") == "zh_CN"


def test_the_checker_finds_an_untranslated_message() -> None:
    with catalog_path("zh_CN").open("rb") as f:
        catalog = read_po(f, locale="zh_CN")
    assert catalog.get("a message nobody translated") is None
    assert "Home visit" in source_messages()
