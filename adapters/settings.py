"""Settings from the environment (prefix ``CARETRAIL_``), built on demand, never at import."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Literal
from uuid import UUID

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can configure. ``docs/operations.md`` lists each one."""

    model_config = SettingsConfigDict(env_prefix="CARETRAIL_", extra="ignore")

    data_dir: Path = Path("./caretrail-data")
    #: ``sqlite:///path/to/dir`` (default: ``data_dir``) or ``postgresql://user@host:port/db``.
    database_url: str | None = None
    postgres_schema: str | None = None
    postgres_pool_size: int = Field(default=5, ge=1, le=100)
    postgres_lock_timeout: int = Field(default=5, ge=1, le=600)
    sqlite_lock_timeout: int = Field(default=10, ge=1, le=600)

    #: Per-deployment namespace of name-based ids (default: the data directory's
    #: ``id.namespace`` file, created at first start). Set it once, before the first case.
    id_namespace: UUID | None = None
    workflow_dir: Path | None = None
    default_workflow: str = "left_behind"
    mentor_capacity: int = Field(default=3, ge=1, le=20)
    snapshot_interval: int = Field(default=50, ge=0)
    aggregate_cache_size: int = Field(default=2000, ge=0)

    #: The master key: base64 AES (16, 24 or 32 bytes). It encrypts event bodies and wraps
    #: each case's key. Default: the file ``cipher_key_file``, else ``master.key`` in the
    #: data directory, made at the first start of an empty store (docs/privacy.md).
    cipher_key: SecretStr | None = None
    cipher_key_file: Path | None = None
    compress_events: bool = False
    #: Retention: the personal data of a case closed this many years ago is erased by the
    #: scheduler's sweep (an ``Erased`` event with reason ``retention``); 0: never by age.
    retention_years: int = Field(default=3, ge=0, le=100)

    projection_poll_seconds: float = Field(default=1.0, gt=0, le=3600)
    sweep_seconds: float = Field(default=60.0, gt=0, le=86_400)
    digest_time: str = "07:30"
    timezone: str = "Asia/Shanghai"
    #: Where escalations and digests go: the log, or a webhook (see docs/operations.md).
    notifier: Literal["log", "webhook"] = "log"
    #: A robot's URL holds its key: kept secret, never logged.
    webhook_url: SecretStr | None = None
    webhook_format: Literal["plain", "wecom", "dingtalk"] = "plain"
    #: A DingTalk robot's signing secret (加签, "SEC..."), if the robot signs.
    webhook_secret: SecretStr | None = None
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    #: First retry of a failed notification after this long; each retry waits twice as long.
    notify_retry_seconds: float = Field(default=30.0, gt=0, le=86_400)
    notify_max_attempts: int = Field(default=8, ge=1, le=50)

    #: Key of the keyed hash (HMAC-SHA256) API tokens are stored under; default: a key
    #: file ``auth.key`` created in the data directory. Set it when workers share no disk.
    token_key: SecretStr | None = None

    #: People's sessions (the web pages): ended after this long without a request, and
    #: this long after the login whatever happens.
    session_idle_minutes: int = Field(default=120, ge=1, le=1440)
    session_hours: int = Field(default=12, ge=1, le=168)
    #: How long an invitation or a password-reset link stays usable.
    invitation_hours: int = Field(default=72, ge=1, le=720)
    #: After this many failed logins of one account or from one address within the
    #: window, each further attempt waits (30 s, doubling, at most 15 minutes).
    login_max_failures: int = Field(default=5, ge=1, le=50)
    login_window_minutes: int = Field(default=15, ge=1, le=1440)
    #: argon2id parameters of new password hashes (a stored hash with others is rehashed
    #: at the next login). Lower them only where no real password is kept (tests).
    password_time_cost: int = Field(default=3, ge=1, le=20)
    password_memory_kib: int = Field(default=65536, ge=1024, le=4_194_304)
    password_parallelism: int = Field(default=4, ge=1, le=64)
    #: The base URL people open caretrail at, printed in invitation links.
    public_url: str = "http://127.0.0.1:8000"

    log_format: Literal["json", "console", "auto"] = "auto"
    log_level: str = "INFO"
    #: FastAPI's native OpenTelemetry instrumentation (a span, metrics and log records per
    #: request, sent to the process's globally configured providers). Off unless asked
    #: for: the API already writes one log line per request, and while it is on FastAPI
    #: looks up three global providers on every request (docs/performance.md).
    opentelemetry: bool = False
    #: Answer a repeated "my tasks" query from memory while the follow-up view and the
    #: clock leave its answer unchanged (SQLite views;
    #: ``projections.task_cache.TaskListCache``).
    task_list_cache: bool = True
    #: History exports one person may run at once in one process, and all people together
    #: (``adapters.driving.api.heavy_reads``): beyond, 429 with Retry-After.
    heavy_reads_per_user: int = Field(default=2, ge=1, le=1000)
    heavy_reads_total: int = Field(default=8, ge=1, le=10_000)

    @field_validator("cipher_key", "token_key", "webhook_url", "webhook_secret", "postgres_schema",
                     mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `CARETRAIL_CIPHER_KEY=` in an env file means "no key", not "an empty key".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("cipher_key")
    @classmethod
    def _aes_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            import base64
            import binascii

            try:
                size = len(base64.b64decode(value.get_secret_value(), validate=True))
            except (binascii.Error, ValueError):
                raise ValueError("must be base64 (create one: see docs/operations.md)") from None
            if size not in (16, 24, 32):
                raise ValueError(f"must decode to 16, 24 or 32 bytes, not {size}")
        return value

    @field_validator("public_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        host = r"([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
        match = re.fullmatch(rf"https?://({host}|\[[0-9A-Fa-f:.]+\])(:(?P<port>[0-9]{{1,5}}))?", value)
        if match is None or not 1 <= int(match["port"] or 80) <= 65535:
            raise ValueError(
                f"{value!r} is not http(s)://host[:port] (no path, no trailing slash, a port "
                "from 1 to 65535), e.g. https://caretrail.example.cn"
            )
        return value

    @field_validator("cipher_key_file", mode="before")
    @classmethod
    def _empty_path_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("data_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        # `CARETRAIL_DATA_DIR=` would otherwise put the store in the current directory.
        empty = isinstance(value, str) and not value.strip()
        return cls.model_fields["data_dir"].default if empty else value

    @field_validator("postgres_schema")
    @classmethod
    def _schema_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value) or value.startswith("pg_") or (
            value == "information_schema"
        ):
            raise ValueError(
                f"{value!r} is not a schema name caretrail uses: lower-case letters, digits "
                "and _, at most 63, not pg_... or information_schema"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone, e.g. Asia/Shanghai") from None
        return value

    @field_validator("digest_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        parse_digest_time(value)  # ValueError with the expected form
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("workflow_dir")
    @classmethod
    def _existing_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite:///", "postgresql://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        if value is not None and not value.removeprefix("sqlite:///").strip():
            raise ValueError("sqlite:/// needs a directory, e.g. sqlite:///./caretrail-data")
        return value

    @property
    def digest_at(self) -> time:
        """The time of day of the daily digest."""
        return parse_digest_time(self.digest_time)

    @property
    def is_postgres(self) -> bool:
        """True when the store is PostgreSQL."""
        return bool(self.database_url and self.database_url.startswith("postgresql://"))

    @property
    def sqlite_dir(self) -> Path:
        """The directory of the SQLite files."""
        if self.database_url and self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.data_dir


def parse_digest_time(text: str) -> time:
    """``HH:MM`` (24-hour) to a time of day; ValueError with the expected form otherwise."""
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"digest time '{text}' is not HH:MM (24-hour), e.g. 07:30") from None
