"""Two instances on one PostgreSQL database: one parent's updates one at a time, in order;
different parents at the same time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from itertools import pairwise
from typing import Any

import aiohttp
import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.telegram import TelegramBot
from tests.botapi import FakeBotApi
from tests.live import WEBHOOK_SECRET, live_bot, message_update, migrated, settings_for

HOLD_SECONDS = 0.25
STAGGER_SECONDS = 0.04


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def probe(name: str, log: list[tuple[int, int, str, float, float]]) -> TypeHandler[Any, Any, Any]:
    """Runs first in every update and holds it a while, noting who ran what when."""

    async def slow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(HOLD_SECONDS)
        user = update.effective_user
        log.append((update.update_id, user.id if user else 0, name, started, loop.time()))

    return TypeHandler(Update, slow)


async def test_interleaved_updates_of_one_parent_on_two_instances(
    api: FakeBotApi, postgres_url: str, figures: Callable[[str], None]
) -> None:
    url = await migrated(postgres_url)
    parent, other = api.user(5001), api.user(5002)
    languages = ["English", "Türkçe", "Nederlands", "العربية", "English", "Türkçe"]
    log: list[tuple[int, int, str, float, float]] = []
    async with (
        live_bot(settings_for(api, url, webhook=True)) as first,
        live_bot(settings_for(api, url, webhook=True)) as second,
    ):
        instances: list[TelegramBot] = [first, second]
        for name, instance in zip("AB", instances, strict=True):
            instance.application.add_handler(probe(name, log), group=-1)
        hooks = [i.core.settings.webhook_url or "" for i in instances]
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        async with aiohttp.ClientSession() as http:

            async def post(n: int, update: dict[str, Any]) -> int:
                await asyncio.sleep(n * STAGGER_SECONDS)
                async with http.post(hooks[n % 2], json=update, headers=headers) as response:
                    return response.status

            posts = [
                post(n, message_update(700 + n, parent, text)) for n, text in enumerate(languages)
            ]
            posts.append(
                post(1, message_update(800, other, "English"))
            )  # another parent, meanwhile
            statuses = await asyncio.gather(*posts)
        assert set(statuses) == {200}
        await parent.wait_for(2 * len(languages), timeout=30)
        async with first.core.database.transaction() as uow:
            found = await uow.parents.find(first.outbox.recipient(parent.id))
    mine = sorted((row for row in log if row[1] == parent.id), key=lambda row: row[3])
    assert [row[0] for row in mine] == [700 + n for n in range(len(languages))]  # in order
    assert {row[2] for row in mine} == {"A", "B"}  # both instances took part
    overlaps = [b for a, b in pairwise(mine) if b[3] < a[4]]
    assert overlaps == []  # one at a time
    [theirs] = [row for row in log if row[1] == other.id]
    assert any(row[3] < theirs[4] and theirs[3] < row[4] for row in mine)  # concurrent
    assert found is not None and found.language == "tr"  # the last update's effect stands
    confirmations = [m["text"].split(".")[0] for m in parent.received if "/language" in m["text"]]
    assert len(confirmations) == len(languages) - 1  # the first choice goes straight on
    figures(
        f"one parent, {len(languages)} interleaved updates on 2 PostgreSQL instances: "
        f"in order, 0 overlaps; another parent ran alongside"
    )
