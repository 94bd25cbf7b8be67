"""Settings refuse what would fail later, and read an empty value as unset."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.settings import Settings


def test_an_empty_cipher_key_means_no_encryption(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARETRAIL_CIPHER_KEY", "")
    assert Settings().cipher_key is None


@pytest.mark.parametrize("key", ["not base64!", "YWJj"])
def test_a_cipher_key_that_aes_cannot_use_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("CARETRAIL_CIPHER_KEY", key)
    with pytest.raises(ValidationError, match="cipher_key"):
        Settings()


def test_an_unknown_database_scheme_is_refused() -> None:
    with pytest.raises(ValidationError, match="sqlite:/// or postgresql://"):
        Settings(database_url="mysql://x")
