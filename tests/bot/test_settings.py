"""Settings: defaults, the public names, and one clear line for every wrong value."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.errors import StartupError
from bot.settings import load_settings
from tests.conftest import TEST_SECRET_KEY


def test_defaults_give_embedded_sqlite_with_a_generated_key(clean_env: Path) -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///tussenin.db"
    assert settings.telegram_token is None
    assert settings.telegram_api_url == "https://api.telegram.org/bot"
    assert settings.webhook_url is None and settings.port == 8080
    assert str(settings.timezone) == "Europe/Amsterdam"
    key_file = clean_env / "tussenin.db.secret"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(settings.secret_key.get_secret_value()) >= 32
    # generated once, then kept
    assert load_settings().secret_key == settings.secret_key


def test_public_names_are_read(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", "123456:ABC-def_ghi")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/bot/")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/bot")
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/hook/path")
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cr3t_-X")
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("TIMEZONE", "Europe/Istanbul")
    s = load_settings()
    assert (
        s.telegram_token is not None and s.telegram_token.get_secret_value() == "123456:ABC-def_ghi"
    )
    assert s.telegram_api_url == "http://127.0.0.1:8081/bot"
    assert s.database_url == "postgresql+asyncpg://u:p@db:5432/bot" and s.is_postgres
    assert s.webhook_path == "/hook/path" and s.webhook_secret.get_secret_value() == "s3cr3t_-X"
    assert s.port == 9000 and str(s.timezone) == "Europe/Istanbul"
    assert "123456:ABC" not in repr(s)  # secrets never print


def test_the_per_chat_limit_is_a_setting(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = load_settings()
    assert (defaults.chat_burst, defaults.chat_period_seconds) == (3, 3.0)  # Telegram's
    monkeypatch.setenv("CHAT_BURST", "6")
    monkeypatch.setenv("CHAT_PERIOD_SECONDS", "6.5")
    settings = load_settings()
    assert (settings.chat_burst, settings.chat_period_seconds) == (6, 6.5)


def test_dotenv_file_is_read(clean_env: Path) -> None:
    (clean_env / ".env").write_text("TELEGRAM_API_URL=http://127.0.0.1:9/\nPORT=8181\n")
    settings = load_settings()
    assert settings.telegram_api_url == "http://127.0.0.1:9/bot" and settings.port == 8181


def test_webhook_secret_defaults_to_one_derived_from_the_key(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET_KEY)
    secret = load_settings().webhook_secret.get_secret_value()
    assert secret.isalnum() and TEST_SECRET_KEY not in secret


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("WEBHOOK_SECRET", "has spaces!", "WEBHOOK_SECRET may only contain A-Z a-z 0-9 _ -"),
        ("TELEGRAM_TOKEN", "not-a-token", "TELEGRAM_TOKEN does not look like a bot token"),
        ("TELEGRAM_API_URL", "api.telegram.org", "TELEGRAM_API_URL must be an http(s) URL"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL must start with postgresql:// or sqlite:///"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 32 characters"),
        ("PORT", "eighty", "PORT "),
        ("PORT", "70000", "PORT must be a port number"),
        ("TIMEZONE", "Europe/Amsterdm", "TIMEZONE is not a known time zone"),
        ("WEBHOOK_URL", "bot.example.org", "WEBHOOK_URL must be the public https URL"),
        ("CHAT_BURST", "0", "CHAT_BURST must be a whole number of messages from 1 to 100"),
        ("CHAT_BURST", "2.5", "CHAT_BURST "),
        ("CHAT_PERIOD_SECONDS", "0", "CHAT_PERIOD_SECONDS must be between 0.01 and 3600"),
    ],
)
def test_a_wrong_setting_is_named_in_one_line(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv(name, value)
    with pytest.raises(StartupError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(expected) and "\n" not in message
    assert ".env" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [("DATABASE_URL", "postgresql://db/bot"), ("WEBHOOK_URL", "https://bot.example.org/hook")],
)
def test_secret_key_is_required_with_postgres_or_webhook(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(StartupError, match=r"^SECRET_KEY is required"):
        load_settings()
