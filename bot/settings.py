"""Settings from the environment and an optional `.env`, grouped by concern.

The environment names are a public interface: TELEGRAM_TOKEN, TELEGRAM_API_URL, DATABASE_URL,
SECRET_KEY, WEBHOOK_URL, WEBHOOK_SECRET, PORT, TIMEZONE.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import StartupError
from bot.logs import LOG_FORMATS

TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# An IPv4 or IPv6 address, or a host name: what the web server listens on.
HOST_PATTERN = re.compile(r"^[A-Za-z0-9.:-]{1,253}$")
DEFAULT_DATABASE_URL = "sqlite:///tussenin.db"
DEFAULT_FLOWS_DIR = Path(__file__).resolve().parent.parent / "flows" / "defaults"
MIN_SECRET_KEY_LENGTH = 32
MIN_METRICS_TOKEN_LENGTH = 16


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )


class TelegramSettings(BaseSettings):
    model_config = _config("TELEGRAM_")

    token: SecretStr | None = None
    api_url: str = "https://api.telegram.org/bot"

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        if value is not None and not TOKEN_PATTERN.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token (digits, a colon, then letters)")
        return SecretStr(value.get_secret_value().strip()) if value is not None else None

    @field_validator("api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://api.telegram.org/bot")
        url = value.strip().rstrip("/")
        # A bare server address means the standard /bot<token>/<method> layout.
        return url + "/bot" if parts.path in ("", "/") else url


class DatabaseSettings(BaseSettings):
    model_config = _config("DATABASE_")

    url: str = DEFAULT_DATABASE_URL

    @field_validator("url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        return normalise_database_url(value)


class SecuritySettings(BaseSettings):
    model_config = _config("")

    secret_key: SecretStr | None = None

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_KEY_LENGTH} characters long")
        return value


class WebhookSettings(BaseSettings):
    model_config = _config("WEBHOOK_")

    url: str | None = None
    secret: SecretStr | None = None

    @field_validator("url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be the public https URL Telegram posts updates to")
        return value

    @field_validator("secret")
    @classmethod
    def _telegram_alphabet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not WEBHOOK_SECRET_PATTERN.match(value.get_secret_value()):
            raise ValueError("may only contain A-Z a-z 0-9 _ - (1 to 256 characters)")
        return value


class ConsoleSettings(BaseSettings):
    """CONSOLE_URL: the console's public base URL (https in production); unset, /console in
    the bot says the operator must set it."""

    model_config = _config("CONSOLE_")

    url: str | None = None

    @field_validator("url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError(
                "must be the console's public address, such as https://bot.example.org"
            )
        return value.strip().rstrip("/")


class ServerSettings(BaseSettings):
    model_config = _config("")

    host: str = "127.0.0.1"
    port: int = 8080
    timezone: str = "Europe/Amsterdam"

    @field_validator("host")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if not HOST_PATTERN.match(value):
            raise ValueError("must be an address to listen on, such as 127.0.0.1 or 0.0.0.0")
        return value

    @field_validator("port")
    @classmethod
    def _port_range(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError("must be a port number between 1 and 65535")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a known time zone (for example Europe/Amsterdam)") from None
        return value


class FlowsSettings(BaseSettings):
    model_config = _config("FLOWS_")

    dir: Path = DEFAULT_FLOWS_DIR

    @field_validator("dir")
    @classmethod
    def _folder(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"is not a folder: {value}")
        return value


class SendingSettings(BaseSettings):
    model_config = _config("")

    send_rate_per_second: float = 30.0
    instance_count: int = 1
    # Per private chat: bursts of CHAT_BURST, refilled over CHAT_PERIOD_SECONDS (3 in 3 s is
    # Telegram's 1 message a second with short bursts).
    chat_burst: int = 3
    chat_period_seconds: float = 3.0

    @field_validator("chat_burst")
    @classmethod
    def _sensible_burst(cls, value: int) -> int:
        if not 1 <= value <= 100:
            raise ValueError("must be a whole number of messages from 1 to 100 (Telegram: ~3)")
        return value

    @field_validator("chat_period_seconds")
    @classmethod
    def _sensible_period(cls, value: float) -> float:
        if not 0.01 <= value <= 3600:
            raise ValueError("must be between 0.01 and 3600 seconds (Telegram: 1 s per message)")
        return value

    @field_validator("send_rate_per_second")
    @classmethod
    def _positive_rate(cls, value: float) -> float:
        if not 0 < value <= 1000:
            raise ValueError("must be a number of messages per second above 0 (Telegram: ~30)")
        return value

    @field_validator("instance_count")
    @classmethod
    def _positive_count(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be 1 or more: the number of instances serving this bot")
        return value


class LeaseSettings(BaseSettings):
    """How long a claimed message or task is reserved for the instance that claimed it."""

    model_config = _config("")

    send_lease_seconds: float = 30.0
    task_lease_seconds: float = 300.0

    @field_validator("send_lease_seconds", "task_lease_seconds")
    @classmethod
    def _sensible(cls, value: float) -> float:
        if not 1 <= value <= 86400:
            raise ValueError("must be between 1 and 86400 seconds")
        return value


class RetrySettings(BaseSettings):
    """How soon an update whose handling failed is tried again (then 2×, 4×, … 5 retries)."""

    model_config = _config("")

    update_retry_seconds: float = 2.0

    @field_validator("update_retry_seconds")
    @classmethod
    def _short(cls, value: float) -> float:
        if not 0.01 <= value <= 60:
            raise ValueError("must be between 0.01 and 60 seconds")
        return value


class OperationsSettings(BaseSettings):
    """What operators see: /metrics (off without a token) and the log format."""

    model_config = _config("")

    metrics_token: SecretStr | None = None
    log_format: str = "text"

    @field_validator("metrics_token")
    @classmethod
    def _long_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value().strip()) < MIN_METRICS_TOKEN_LENGTH:
            raise ValueError(f"must be at least {MIN_METRICS_TOKEN_LENGTH} characters long")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value.strip().lower() not in LOG_FORMATS:
            raise ValueError("must be text or json")
        return value.strip().lower()


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs at start, validated and with defaults filled in."""

    telegram_token: SecretStr | None
    telegram_api_url: str
    database_url: str
    secret_key: SecretStr
    webhook_url: str | None
    webhook_secret: SecretStr
    port: int
    timezone: ZoneInfo
    host: str = "127.0.0.1"
    flows_dir: Path = DEFAULT_FLOWS_DIR
    send_rate_per_second: float = 30.0
    instance_count: int = 1
    send_lease_seconds: float = 30.0
    task_lease_seconds: float = 300.0
    update_retry_seconds: float = 2.0
    # Per chat: bursts of 3, then 1 message a second (Telegram's limit).
    chat_burst: int = 3
    chat_period_seconds: float = 3.0
    metrics_token: SecretStr | None = None  # unset: /metrics is off
    log_format: str = "text"
    console_url: str | None = None  # unset: the console has no public address yet

    @property
    def console_is_https(self) -> bool:
        return (self.console_url or "").startswith("https://")

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def webhook_path(self) -> str:
        return urlsplit(self.webhook_url or "").path or "/"


ENV_NAMES = {
    ("TelegramSettings", "token"): "TELEGRAM_TOKEN",
    ("TelegramSettings", "api_url"): "TELEGRAM_API_URL",
    ("DatabaseSettings", "url"): "DATABASE_URL",
    ("SecuritySettings", "secret_key"): "SECRET_KEY",
    ("WebhookSettings", "url"): "WEBHOOK_URL",
    ("WebhookSettings", "secret"): "WEBHOOK_SECRET",
    ("ServerSettings", "host"): "HOST",
    ("ServerSettings", "port"): "PORT",
    ("ServerSettings", "timezone"): "TIMEZONE",
    ("FlowsSettings", "dir"): "FLOWS_DIR",
    ("SendingSettings", "send_rate_per_second"): "SEND_RATE_PER_SECOND",
    ("SendingSettings", "instance_count"): "INSTANCE_COUNT",
    ("SendingSettings", "chat_burst"): "CHAT_BURST",
    ("SendingSettings", "chat_period_seconds"): "CHAT_PERIOD_SECONDS",
    ("LeaseSettings", "send_lease_seconds"): "SEND_LEASE_SECONDS",
    ("LeaseSettings", "task_lease_seconds"): "TASK_LEASE_SECONDS",
    ("RetrySettings", "update_retry_seconds"): "UPDATE_RETRY_SECONDS",
    ("OperationsSettings", "metrics_token"): "METRICS_TOKEN",
    ("OperationsSettings", "log_format"): "LOG_FORMAT",
    ("ConsoleSettings", "url"): "CONSOLE_URL",
}


def normalise_database_url(value: str) -> str:
    """Map the usual spellings onto the async drivers this project uses."""
    url = value.strip()
    for prefix, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+asyncpg://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
        ("sqlite+aiosqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(prefix):
            return driver + url[len(prefix) :]
    raise ValueError("must start with postgresql:// or sqlite:/// (for example sqlite:///bot.db)")


def sqlite_path(database_url: str) -> Path | None:
    """The file behind an SQLite URL, or None for PostgreSQL and in-memory databases."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split(":///", 1)[1].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def local_secret_key(database_url: str) -> SecretStr:
    """For the embedded default: one generated key, kept beside the database file."""
    path = sqlite_path(database_url)
    if path is None:
        raise StartupError(
            "SECRET_KEY is not set: set it to a long random string (openssl rand -hex 32)."
        )
    key_file = path.with_name(path.name + ".secret")
    if key_file.exists():
        return SecretStr(key_file.read_text(encoding="utf-8").strip())
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created readable by its owner only: the key protects the parents' chat ids.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return SecretStr(key)


def _derived_webhook_secret(secret_key: SecretStr) -> SecretStr:
    digest = hmac.new(secret_key.get_secret_value().encode(), b"webhook", hashlib.sha256)
    return SecretStr(digest.hexdigest())


def _explain(error: ValidationError, group: type[BaseSettings]) -> str:
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    name = ENV_NAMES.get((group.__name__, field), field.upper())
    reason = str(first["msg"]).removeprefix("Value error, ")
    return f"{name} {reason}: fix it in the environment or in .env (see .env.example)."


def load_settings() -> Settings:
    """Read and check every setting; a problem raises StartupError with one line."""
    groups: dict[type[BaseSettings], BaseSettings] = {}
    for group in (
        TelegramSettings,
        DatabaseSettings,
        SecuritySettings,
        WebhookSettings,
        ServerSettings,
        FlowsSettings,
        SendingSettings,
        LeaseSettings,
        RetrySettings,
        OperationsSettings,
        ConsoleSettings,
    ):
        try:
            groups[group] = group()
        except ValidationError as error:
            raise StartupError(_explain(error, group)) from None
    telegram = groups[TelegramSettings]
    database = groups[DatabaseSettings]
    security = groups[SecuritySettings]
    webhook = groups[WebhookSettings]
    server = groups[ServerSettings]
    flows, sending, leases = groups[FlowsSettings], groups[SendingSettings], groups[LeaseSettings]
    assert isinstance(flows, FlowsSettings) and isinstance(sending, SendingSettings)
    assert isinstance(leases, LeaseSettings)
    retries = groups[RetrySettings]
    assert isinstance(retries, RetrySettings)
    operations = groups[OperationsSettings]
    assert isinstance(operations, OperationsSettings)
    assert isinstance(telegram, TelegramSettings) and isinstance(database, DatabaseSettings)
    assert isinstance(security, SecuritySettings) and isinstance(webhook, WebhookSettings)
    assert isinstance(server, ServerSettings)
    console = groups[ConsoleSettings]
    assert isinstance(console, ConsoleSettings)

    secret_key = security.secret_key
    if secret_key is None:
        if database.url.startswith("postgresql"):
            raise StartupError(
                "SECRET_KEY is required with PostgreSQL: set it to a long random string "
                "(openssl rand -hex 32) and keep it safe; without it the data cannot be read."
            )
        if webhook.url:
            raise StartupError(
                "SECRET_KEY is required when WEBHOOK_URL is set: set it to a long random string "
                "(openssl rand -hex 32)."
            )
        secret_key = local_secret_key(database.url)
    return Settings(
        telegram_token=telegram.token,
        telegram_api_url=telegram.api_url,
        database_url=database.url,
        secret_key=secret_key,
        webhook_url=webhook.url,
        webhook_secret=webhook.secret or _derived_webhook_secret(secret_key),
        host=server.host,
        port=server.port,
        timezone=ZoneInfo(server.timezone),
        flows_dir=flows.dir,
        send_rate_per_second=sending.send_rate_per_second,
        instance_count=sending.instance_count,
        chat_burst=sending.chat_burst,
        chat_period_seconds=sending.chat_period_seconds,
        send_lease_seconds=leases.send_lease_seconds,
        task_lease_seconds=leases.task_lease_seconds,
        update_retry_seconds=retries.update_retry_seconds,
        metrics_token=operations.metrics_token,
        log_format=operations.log_format,
        console_url=console.url,
    )
