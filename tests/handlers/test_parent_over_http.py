"""The real PTB Application over real HTTP against the local Bot API, in both modes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.services.bot_profile import deep_link
from tests.botapi import FakeBotApi
from tests.live import WEBHOOK_SECRET, live_bot, settings_for

RLM = "\u200f"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def labels(message: dict[str, Any]) -> list[str]:
    rows = message["reply_markup"]["inline_keyboard"]
    return [button["text"].removeprefix(RLM) for row in rows for button in row]


@pytest.mark.parametrize(
    ("language_code", "question", "marked"),
    [
        ("nl", "In welke taal wil je schrijven?", "✓ Nederlands"),
        ("en-GB", "Which language would you like?", "✓ English"),
        ("ar", RLM + "بأي لغة تريدون أن نكتب لكم؟", "✓ العربية"),
        ("tr", "Hangi dilde yazmamızı istersiniz?", "✓ Türkçe"),
        ("pl", "W jakim języku chcą Państwo rozmawiać?", "✓ Polski"),
        ("de", "In welke taal wil je schrijven?", "Nederlands"),  # not offered: none marked
    ],
)
async def test_first_start_shows_the_picker_in_the_client_language(
    api: FakeBotApi, database_url: str, language_code: str, question: str, marked: str
) -> None:
    async with live_bot(settings_for(api, database_url)):
        parent = api.user(1001, first_name="Test", language_code=language_code)
        await parent.send_text("/start")
        [picker] = await parent.wait_for(1)
    assert picker["text"].startswith(question)
    assert marked in labels(picker)
    assert sum(label.startswith("✓ ") for label in labels(picker)) == marked.startswith("✓ ")
    assert len(labels(picker)) == 9 and {"Nederlands", "English", "العربية", "Türkçe"} <= {
        label.removeprefix("✓ ") for label in labels(picker)
    }


async def test_choice_answers_the_button_and_greets_in_that_language(
    api: FakeBotApi, database_url: str
) -> None:
    async with live_bot(settings_for(api, database_url)):
        parent = api.user(1002, language_code="nl")
        await parent.send_text("/start")
        await parent.wait_for(1)
        await parent.press("العربية")
        welcome = await parent.wait_for(3)  # the short welcome (2), then the menu
        assert len(parent.callback_answers) == 1
    assert welcome[0]["text"].startswith(RLM + "أهلًا بكم")
    assert all(line.startswith(RLM) for m in welcome for line in m["text"].split("\n") if line)


async def test_language_survives_a_restart(api: FakeBotApi, database_url: str) -> None:
    settings = settings_for(api, database_url)
    parent = api.user(1003, language_code="en")
    async with live_bot(settings):
        await parent.send_text("/start")
        await parent.wait_for(1)
        await parent.press("Türkçe")
        await parent.wait_for(3)
    async with live_bot(settings):
        await parent.send_text("/start")
        greeting, menu = await parent.wait_for(2)  # returning: one line, then the menu
    assert greeting["text"] == "Yeniden hoş geldiniz." and len(labels(menu)) == 4


async def test_language_and_help_commands(api: FakeBotApi, database_url: str) -> None:
    async with live_bot(settings_for(api, database_url)):
        parent = api.user(1004, language_code="tr")
        await parent.send_text("/language")
        [picker] = await parent.wait_for(1)
        await parent.send_text("/help")
        [help_] = await parent.wait_for(1)
    assert "✓ Türkçe" in labels(picker)
    assert help_["text"].startswith("Burada neler yapabilirsiniz")


async def test_bot_leaves_groups(api: FakeBotApi, database_url: str) -> None:
    async with live_bot(settings_for(api, database_url)):
        parent = api.user(1005)
        added = api.group(-100123, title="Family")
        await added.add_bot(by=parent)
        await _eventually(lambda: added.bot_left)
        written = api.group(-100456, title="School")
        written.chat.bot_member = True  # added while the bot was offline
        await written.send_text(parent, "/start")
        await _eventually(lambda: written.bot_left)
        assert written.received == []  # nothing said in a group


async def test_menus_are_published_per_language(api: FakeBotApi, database_url: str) -> None:
    async with live_bot(settings_for(api, database_url)):
        pass
    default = {c["command"]: c["description"] for c in api.commands()}
    arabic = {c["command"]: c["description"] for c in api.commands(language_code="ar")}
    assert list(default) == ["start", "language", "listen", "read", "stop", "forget", "help"]
    assert default["start"] == "Begin (opnieuw)" and default["language"] == "Kies je taal"
    assert arabic["language"] == "اختيار لغتكم"
    assert set(default) == {c["command"] for c in api.commands(language_code="tr")}
    assert api.commands(language_code="ti")  # two letters: Telegram accepts it
    assert api.commands(language_code="rif") == []  # three letters: Telegram would refuse


async def test_username_is_cached_for_offline_deep_links(
    api: FakeBotApi, database_url: str
) -> None:
    settings = settings_for(api, database_url)
    async with live_bot(settings) as telegram:
        database = telegram.core.database
        async with database.transaction() as uow:
            link = await deep_link(uow, "ABC123")
    assert link == f"https://t.me/{api.bot_user['username']}?start=ABC123"


async def test_webhook_mode_answers_and_checks_the_secret(
    api: FakeBotApi, database_url: str
) -> None:
    settings = settings_for(api, database_url, webhook=True)
    assert settings.webhook_url is not None
    async with live_bot(settings):
        parent = api.user(1006, language_code="en")
        await parent.send_text("/start")
        [picker] = await parent.wait_for(1)
        assert picker["text"].startswith("Which language")
        async with aiohttp.ClientSession() as http:
            update = {"update_id": 999_999, "message": {}}
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(settings.webhook_url, json=update, headers=headers) as r:
                    assert r.status == 403
            good = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            async with http.post(settings.webhook_url, data="{not json", headers=good) as r:
                assert r.status == 400
            base = settings.webhook_url.rsplit("/telegram/hook", 1)[0]
            async with http.get(f"{base}/healthz") as r:
                assert r.status == 200
            async with http.get(f"{base}/readyz") as r:
                assert r.status == 200 and (await r.json())["status"] == "ready"
    hooks = [params for params in api.calls("setWebhook")]
    assert hooks and hooks[-1]["secret_token"] == WEBHOOK_SECRET


async def test_a_redelivered_update_is_answered_once(api: FakeBotApi, database_url: str) -> None:
    async with live_bot(settings_for(api, database_url)):
        parent = api.user(1007, language_code="en")
        message = await parent.send_text("/help")
        update_id = api.world.next_update_id - 1
        await parent.wait_for(1)
        api.enqueue({"update_id": update_id, "message": message})
        await parent.send_text("/language")  # a later update proves the duplicate was read
        await parent.wait_for(1)
    assert [m["text"][:10] for m in parent.received].count("What you c") == 1


async def _eventually(condition: Any, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")
