"""Settings refuse what would fail later, and read an empty value as unset."""

from __future__ import annotations

from pathlib import Path

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


@pytest.mark.parametrize(("name", "value", "message"), [
    ("CARETRAIL_TIMEZONE", "Mars/Base", "not an IANA time zone"),
    ("CARETRAIL_DIGEST_TIME", "half past seven", "not HH:MM"),
    ("CARETRAIL_LOG_LEVEL", "LOUD", "must be one of"),
    ("CARETRAIL_WORKFLOW_DIR", "/nonexistent/workflows", "is not a directory"),
])
def test_a_setting_that_would_fail_after_a_write_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_a_log_level_is_read_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARETRAIL_LOG_LEVEL", "debug")
    assert Settings().log_level == "DEBUG"


def test_an_empty_data_dir_is_the_default_not_the_current_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARETRAIL_DATA_DIR", "")
    assert Settings().sqlite_dir == Path("./caretrail-data")
    with pytest.raises(ValidationError, match="needs a directory"):
        Settings(database_url="sqlite:///")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "https://caretrail.example.cn",
                                 "https://ct.school-1.edu.cn:8443", "http://[::1]:8000"])
def test_a_public_url_is_a_scheme_a_host_and_maybe_a_port(url: str) -> None:
    assert Settings(public_url=url).public_url == url


@pytest.mark.parametrize("url", ["https://ct.example.cn/", "https://ct.example.cn/caretrail", "ct.example.cn",
                                 "ftp://ct.example.cn", "https://ct.example.cn:0", "https://ct.example.cn:70000",
                                 "https://ct example.cn", "https://ct.example.cn?x=1", ""])
def test_a_public_url_with_a_path_a_trailing_slash_or_another_scheme_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match=r"is not http\(s\)://host\[:port\]"):
        Settings(public_url=url)


@pytest.mark.parametrize(("name", "value"), [
    ("session_idle_minutes", 0), ("session_idle_minutes", 1441), ("session_hours", 169),
    ("invitation_hours", 721), ("login_max_failures", 0), ("login_max_failures", 51),
    ("login_window_minutes", 1441), ("password_time_cost", 0), ("password_memory_kib", 512),
    ("password_parallelism", 0),
])
def test_session_login_and_password_settings_beyond_their_bounds_are_refused(name: str, value: int) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(**{name: value})
