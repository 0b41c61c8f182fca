"""The operator's way in: `python -m bot console link` prints a one-time link (this
machine's address while CONSOLE_URL is unset), and /console in the bot says what to set."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path

from storage.people import Profile
from tests.botapi import FakeBotApi
from tests.console.conftest import LINK, ConsoleBot
from tests.console.test_security import client
from tests.live import CLI_TIMEOUT, bot_env, cli_settings, live_bot, migrated, settings_for


async def console_link(
    api: FakeBotApi, url: str, cwd: Path, *args: str, **extra: str
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "console",
        "link",
        *args,
        cwd=cwd,
        env=bot_env(**cli_settings(api, url, **extra)),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_operator_prints_a_link_that_logs_in(
    console_bot: ConsoleBot, tmp_path: Path
) -> None:
    other = console_bot.api.user(7003, "Joost", language_code="nl")
    await console_bot.invite(other, Profile("coordinator", "Joost Bakker"))
    port = console_bot.base.rsplit(":", 1)[1]
    code, out, err = await console_link(
        console_bot.api, console_bot.database_url, tmp_path, PORT=port
    )
    assert code == 2 and "--coordinator" in err and "Joost Bakker" in err  # two: which one?
    [(number,)] = await console_bot.query("select id from person where name = 'Joost Bakker'")
    code, out, err = await console_link(
        console_bot.api, console_bot.database_url, tmp_path, "--coordinator", str(number), PORT=port
    )
    assert code == 0, err
    found = LINK.search(out)
    assert found and found.group(0).startswith(f"http://127.0.0.1:{port}/console/login")
    assert "CONSOLE_URL is not set" in out
    async with (
        client() as http,
        http.post(
            f"{console_bot.base}/console/login", data={"code": found.group(0).split("code=")[1]}
        ) as response,
    ):
        assert response.status == 200 and "Joost Bakker" in await response.text()


async def test_without_console_url_the_bot_says_what_to_set(database_url: str) -> None:
    url = await migrated(database_url)
    async with FakeBotApi() as api:
        settings = dataclasses.replace(settings_for(api, url), console_url=None)
        async with live_bot(settings):
            coordinator = api.user(7001, "Sanne", language_code="nl")
            bot = ConsoleBot(api, url, None, "", coordinator)  # type: ignore[arg-type]
            await bot.invite(coordinator, Profile("coordinator", "Sanne de Vries"))
            await coordinator.send_text("/console")
            [answer] = await coordinator.wait_for(1)
    assert "CONSOLE_URL" in answer["text"] and "python -m bot console link" in answer["text"]
    assert "code=" not in answer["text"]
