"""No accidental takeover: a poller never silently ends a webhook or another poller."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.botapi import FakeBotApi
from tests.live import TEST_TOKEN, cli_settings, migrated, run_cli, start_cli

PICKER = "Which language"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def one_line(stderr: str) -> str:
    """The one line the bot stops with (log lines of its start may come before it)."""
    lines = [line for line in stderr.splitlines() if line.startswith("tussenin: ")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert stderr.rstrip().endswith(lines[0])
    return lines[0]


async def stop(process: asyncio.subprocess.Process) -> str:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    return stderr.decode()


async def register_webhook(api: FakeBotApi, url: str) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{api.base_url}{TEST_TOKEN}/setWebhook", json={"url": url}) as response,
    ):
        assert response.status == 200


async def test_a_poller_does_not_end_a_webhook_without_take_over(
    api: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    await register_webhook(api, "https://bot.example.org/telegram/hook")
    settings = cli_settings(api, await migrated(database_url))
    code, stderr = await run_cli(tmp_path, "run", **settings)
    assert code == 2
    line = one_line(stderr)
    assert "A webhook is registered for this bot (at bot.example.org)" in line
    assert "--take-over" in line
    assert api.delivery.webhook is not None  # still there
    bot = await start_cli(tmp_path, "run", "--take-over", **settings)
    try:
        parent = api.user(5101, language_code="en")
        await parent.send_text("/start")
        [picker] = await parent.wait_for(1, timeout=30)
    finally:
        log = await stop(bot)
    assert picker["text"].startswith(PICKER)
    assert api.delivery.webhook is None
    assert "taking over: the webhook at bot.example.org is removed" in log


async def test_a_second_poller_on_the_same_database_refuses(
    api: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    settings = cli_settings(api, await migrated(database_url))
    first = await start_cli(tmp_path, "run", **settings)
    try:
        parent = api.user(5201, language_code="en")
        await parent.send_text("/start")
        await parent.wait_for(1, timeout=30)  # the first one polls and holds the lease
        code, stderr = await run_cli(tmp_path, "run", **settings)
        assert code == 2
        assert "Another poller is running on this database" in one_line(stderr)
        await parent.send_text("/help")
        [help_text] = await parent.wait_for(1, timeout=30)  # the first one still answers
    finally:
        await stop(first)
    assert first.returncode == 0 and help_text["text"].startswith("What you can do here")
    # Stopped cleanly, it gave the lease back: a new poller starts at once.
    again = await start_cli(tmp_path, "run", **settings)
    try:
        await parent.send_text("/help")
        await parent.wait_for(1, timeout=30)
    finally:
        await stop(again)
