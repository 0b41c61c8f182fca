"""Running the real bot against the local Bot API: in this process, or as `python -m bot`."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.logs import LibraryValues
from bot.polling import Poller
from bot.runtime import open_core
from bot.services.clock import Clock
from bot.settings import DEFAULT_FLOWS_DIR, Settings
from bot.telegram import TelegramBot
from bot.web import web_server
from storage import Database
from tests.botapi import FakeBotApi, FakeUser
from tests.conftest import SETTING_NAMES, TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parents[1]
TEST_TOKEN = "123456:TEST-token_for-the-local-api"
WEBHOOK_SECRET = "hook-secret_123"
CLI_TIMEOUT = 60.0


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A free port, never the same twice in one run (the kernel may offer one again)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def settings_for(
    api: FakeBotApi, database_url: str, *, webhook: bool = False, flows_dir: Path | None = None
) -> Settings:
    port = free_port()
    return Settings(
        telegram_token=SecretStr(TEST_TOKEN),
        telegram_api_url=api.base_url,
        database_url=database_url,
        secret_key=SecretStr(TEST_SECRET_KEY),
        webhook_url=f"http://127.0.0.1:{port}/telegram/hook" if webhook else None,
        webhook_secret=SecretStr(WEBHOOK_SECRET),
        port=port,
        timezone=ZoneInfo("Europe/Amsterdam"),
        flows_dir=flows_dir or DEFAULT_FLOWS_DIR,
        chat_burst=20,  # the welcome is six messages; the limiter is measured in bench/
        chat_period_seconds=1.0,
        update_retry_seconds=0.05,  # a failed update may be tried again almost at once
    )


@contextlib.asynccontextmanager
async def live_bot(settings: Settings, clock: Clock | None = None) -> AsyncIterator[TelegramBot]:
    """The bot as `python -m bot run` builds it, polling or serving its webhook; with
    `clock`, its time is the test's (scheduled tasks come due when the test moves it)."""
    database = Database(settings.database_url)
    await database.upgrade()  # PostgreSQL is never upgraded implicitly
    await database.dispose()
    core = await open_core(settings, clock)
    telegram = TelegramBot(core)
    await telegram.start()
    try:
        async with web_server(telegram):
            # The webhook needs nothing more than the server; polling runs its loop.
            serving = asyncio.create_task(
                asyncio.Event().wait()
                if settings.webhook_url
                else Poller(telegram, poll_timeout=1).run()
            )
            try:
                yield telegram
            finally:
                serving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await serving
    finally:
        await telegram.stop()
        await core.close()


@contextlib.contextmanager
def captured_log(formatter: logging.Formatter) -> Iterator[io.StringIO]:
    """Everything the bot logs at DEBUG, through `formatter` and the bot's own filters (the
    local Bot API's lines are Telegram's side, not the bot's log, and are left out)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(LibraryValues())
    handler.addFilter(lambda record: not record.name.startswith("tests."))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def bot_env(**settings: str) -> dict[str, str]:
    """The environment of a `python -m bot` child: only the settings given here."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env["PYTHONPATH"] = str(ROOT)
    env["PORT"] = str(free_port())  # the web server (/healthz, /readyz) runs in every mode
    env.update(settings)
    return env


async def start_cli(cwd: Path, *args: str, **settings: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=bot_env(**settings),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_cli(cwd: Path, *args: str, **settings: str) -> tuple[int, str]:
    """Run `python -m bot ARGS` to the end; returns the exit code and stderr."""
    process = await start_cli(cwd, *args, **settings)
    _, stderr = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def migrated(database_url: str) -> str:
    """The database upgraded to the newest schema (PostgreSQL is never upgraded at start)."""
    database = Database(database_url)
    await database.upgrade()
    await database.dispose()
    return database_url


def cli_settings(api: FakeBotApi, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "TELEGRAM_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_URL": api.base_url,
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET_KEY,
        **extra,
    }


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def effects_by_source(database_url: str) -> dict[str, int]:
    """Outbox rows written per update or task: an update handled twice would show 2."""
    from sqlalchemy import func, select

    from storage.tables import OutboxMessage

    database = Database(database_url)
    t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    try:
        async with database.engine.connect() as connection:
            rows = await connection.execute(select(t.source, func.count()).group_by(t.source))
            return {source: int(n) for source, n in rows.all()}
    finally:
        await database.dispose()


def backend(database_url: str) -> str:
    """ "sqlite" or "postgresql", for figures."""
    return database_url.split(":", 1)[0].split("+", 1)[0]


def message_update(update_id: int, user: FakeUser, text: str) -> dict[str, Any]:
    """A private text message from `user`, as Telegram would post it to a webhook."""
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": 1_790_000_000,
        "chat": {"id": user.id, "type": "private", "first_name": user.user["first_name"]},
        "from": user.user,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}
