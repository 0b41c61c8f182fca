"""The console over the real bot: the local Bot API, the bot with its web server and
CONSOLE_URL, a registered coordinator, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from bot.services.clock import Clock, SystemClock
from bot.services.privacy import IdentityVault
from bot.services.staff import Staff
from bot.telegram import TelegramBot
from storage import Database
from storage.people import Profile
from tests.botapi import FakeBotApi, FakeUser
from tests.conftest import TEST_SECRET_KEY
from tests.live import live_bot, migrated, settings_for

VAULT = IdentityVault(TEST_SECRET_KEY)
CHROMIUM = "/usr/bin/chromium"
# Chromium as this machine allows it: no sandbox (root), and no calls home (a closed network).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LINK = re.compile(r"https?://\S+/console/login\?code=[\w-]+")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
PHONE = {"width": 390, "height": 844}


@dataclasses.dataclass
class ConsoleBot:
    """The running bot, its database and the people in it."""

    api: FakeBotApi
    database_url: str
    telegram: TelegramBot
    base: str  # CONSOLE_URL
    coordinator: FakeUser
    clock: Clock = dataclasses.field(default_factory=SystemClock)  # the bot's

    async def invite(self, user: FakeUser, profile: Profile) -> None:
        """`user` opens a one-time invitation link, as the CLI or the console makes them."""
        database = Database(self.database_url)
        try:
            async with database.transaction() as uow:
                code, _ = await Staff(VAULT).invite(
                    uow, profile, self.clock.now(), timedelta(days=1)
                )
        finally:
            await database.dispose()
        await user.send_text(f"/start {code}")
        await user.wait_for(1)

    async def link(self, user: FakeUser | None = None) -> str:
        """What the bot answers to /console: the login link."""
        asker = user or self.coordinator
        await asker.send_text("/console")
        [answer] = await asker.wait_for(1)
        found = LINK.search(answer.get("text", ""))
        assert found, answer.get("text")
        return found.group(0)

    async def log_in(self, page: Page, user: FakeUser | None = None) -> None:
        await page.goto(await self.link(user))
        await page.get_by_role("button").first.click()
        await page.wait_for_url(f"{self.base}/console/")

    async def query(self, statement: str) -> list[Any]:
        """Read the database as a test (never the console's way)."""
        from sqlalchemy import text

        database = Database(self.database_url)
        try:
            async with database.transaction() as uow:
                rows = await uow._session.execute(text(statement))
                return list(rows.all())
        finally:
            await database.dispose()


@contextlib.asynccontextmanager
async def running_console(
    database_url: str, clock: Clock | None = None
) -> AsyncIterator[ConsoleBot]:
    """The bot with its console and a registered coordinator; with `clock`, on the
    test's time (scheduled tasks come due when the test moves it)."""
    url = await migrated(database_url)
    async with FakeBotApi() as api:
        settings = settings_for(api, url)
        base = f"http://127.0.0.1:{settings.port}"
        settings = dataclasses.replace(settings, console_url=base)
        async with live_bot(settings, clock) as telegram:
            coordinator = api.user(7001, "Sanne", language_code="nl")
            bot = ConsoleBot(api, url, telegram, base, coordinator, telegram.core.clock)
            await bot.invite(coordinator, Profile("coordinator", "Sanne de Vries"))
            yield bot


@pytest.fixture
async def console_bot(database_url: str) -> AsyncIterator[ConsoleBot]:
    async with running_console(database_url) as bot:
        yield bot


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(locale="nl-NL")
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def screenshot(page: Page, name: str) -> None:
    """For the README: docs/console/NAME.png, made by the browser tests, kept in the repo."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
