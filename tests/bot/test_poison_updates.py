"""Updates the bot cannot read or keeps failing on: set aside once, without content; the
other parents in the same batch are answered; no log line names anyone (polling and webhook).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.logs import LOG_FORMAT, PrivateFormatter
from bot.telegram import TelegramBot
from tests.botapi import FakeBotApi, FakeUser
from tests.live import WEBHOOK_SECRET, captured_log, eventually, live_bot, migrated, settings_for

SORRY = "Sorry, something went wrong"
HELP = "What you can do here"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
def bot_log() -> Iterator[io.StringIO]:
    """Everything logged, at DEBUG, through the bot's own formatter and filters."""
    with captured_log(PrivateFormatter(LOG_FORMAT)) as stream:
        yield stream


def person(api: FakeBotApi, user_id: int, name: str, language: str = "en") -> FakeUser:
    return api.user(user_id, name, username=f"{name.lower()}_{user_id}", language_code=language)


def message(user: FakeUser, text: str, **changes: Any) -> dict[str, Any]:
    """A private message as Telegram posts it; `changes` make it unreadable for PTB."""
    body: dict[str, Any] = {
        "message_id": 7,
        "date": 1_790_000_000,
        "chat": {"id": user.id, "type": "private", **{k: user.user[k] for k in ("first_name",)}},
        "from": user.user,
        "text": text,
    }
    if text.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    body.update(changes)
    return {"message": body}


def assert_nobody_in(log: str, found: list[str]) -> None:
    for line in log.splitlines():
        for identity in found:
            assert identity not in line, f"{identity!r} is in the log: {line[:300]}"


def identities(*users: FakeUser, texts: tuple[str, ...] = ()) -> list[str]:
    found = list(texts)
    for user in users:
        found += [str(user.id), user.user["first_name"], user.user["username"]]
    return found


async def set_aside(telegram: TelegramBot) -> list[tuple[int, str, str, int]]:
    async with telegram.core.database.transaction() as uow:
        return await uow.updates.set_aside_since(datetime.now(UTC) - timedelta(hours=1))


def texts(user: FakeUser) -> list[str]:
    return [m.get("text", "") for m in user.received]


async def test_a_poison_update_in_a_polling_batch(
    api: FakeBotApi, database_url: str, bot_log: io.StringIO
) -> None:
    first = person(api, 7_340_112_993, "Zainab")
    poisoned = person(api, 7_340_554_127, "Mehmet")
    last = person(api, 7_340_998_061, "Agnieszka")
    secret = "my husband hits the children +31612345678"
    settings = settings_for(api, await migrated(database_url))
    async with live_bot(settings) as telegram:
        # One batch: a newer schema sends the date as text, which PTB cannot read.
        api.enqueue(message(first, "/help"))
        poison_id = api.enqueue(message(poisoned, secret, date="2026-11-30T10:00:00Z"))
        api.enqueue(message(last, "/help"))
        await first.wait_for(1, timeout=20)
        await last.wait_for(1, timeout=20)
        [sorry] = await poisoned.wait_for(1, timeout=20)
        api.enqueue({"update_id": poison_id, **message(poisoned, secret, date="yesterday")})
        await poisoned.send_text("/help")  # the same person goes on normally
        await eventually(lambda: any(t.startswith(HELP) for t in texts(poisoned)), 20)
        aside = await set_aside(telegram)
    assert texts(first)[0].startswith(HELP) and texts(last)[0].startswith(HELP)
    assert sorry["text"].startswith(SORRY)
    assert sum(t.startswith(SORRY) for t in texts(poisoned)) == 1  # set aside once
    assert aside == [(poison_id, "message", "TypeError", 1)]
    log = bot_log.getvalue()
    assert f"update {poison_id} (message) set aside" in log
    assert_nobody_in(log, identities(first, poisoned, last, texts=(secret, "31612345678")))


async def test_a_poison_update_through_the_webhook(
    api: FakeBotApi, database_url: str, bot_log: io.StringIO
) -> None:
    poisoned = person(api, 7_341_554_127, "Abdi", language="en")
    after = person(api, 7_341_998_061, "Halyna")
    secret = "we have no money for food"
    settings = settings_for(api, await migrated(database_url), webhook=True)
    poison = {
        "update_id": 880_001,
        **message(poisoned, secret, entities=[{"type": "bold"}]),  # an entity of another schema
    }
    url = settings.webhook_url or ""
    async with live_bot(settings) as telegram, aiohttp.ClientSession() as http:
        for _ in range(2):  # Telegram may deliver it again: set aside once
            async with http.post(url, json=poison, headers=HEADERS) as response:
                assert response.status == 200
        not_updates: list[object] = [[1, 2], {"message": {}}, {"update_id": "1"}]
        for body in not_updates:
            async with http.post(url, json=body, headers=HEADERS) as response:
                assert response.status == 400
        async with http.post(url, data=b"\xff{", headers=HEADERS) as response:
            assert response.status == 400
        await after.send_text("/help")
        await after.wait_for(1, timeout=20)
        [sorry] = await poisoned.wait_for(1, timeout=20)
        await asyncio.sleep(0.3)  # time for a second apology, if there were one
        aside = await set_aside(telegram)
    assert sorry["text"].startswith(SORRY) and len(poisoned.received) == 1
    assert aside == [(880_001, "message", "TypeError", 1)]
    assert_nobody_in(bot_log.getvalue(), identities(poisoned, after, texts=(secret,)))


async def test_an_update_that_keeps_failing_is_set_aside_after_five_retries(
    api: FakeBotApi, database_url: str, bot_log: io.StringIO
) -> None:
    """PTB reads it, but it makes the handlers fail every time (a message without a chat)."""
    failing = person(api, 7_342_554_127, "Yohannes")
    other = person(api, 7_342_998_061, "Samira")
    settings = settings_for(api, await migrated(database_url))
    broken = message(failing, "Is this safe?")
    del broken["message"]["chat"]
    async with live_bot(settings) as telegram:
        broken_id = api.enqueue(broken)
        api.enqueue(message(other, "/help"))
        await other.wait_for(1, timeout=20)  # not held up by the failing one
        await eventually(lambda: api.pending_updates == [], 30)
        aside = await set_aside(telegram)
    assert len(aside) == 1
    update_id, kind, error, attempts = aside[0]
    assert (update_id, kind, attempts) == (broken_id, "message", 6)  # 1 try and 5 retries
    assert error  # the handler's error class
    assert failing.received == []  # no private chat in the update: nobody to tell
    log = bot_log.getvalue()
    assert log.count(f"update {broken_id} failed (") == 5
    assert "no attribute" not in log  # tracebacks name the error's class, not its words
    assert_nobody_in(log, identities(failing, other, texts=("Is this safe?",)))


async def test_valid_updates_are_never_set_aside(
    api: FakeBotApi, database_url: str, bot_log: io.StringIO
) -> None:
    """A handler that fails a few times (a hiccup) is retried until it works."""
    parent = person(api, 7_343_000_001, "Fatima")
    settings = settings_for(api, await migrated(database_url))
    async with live_bot(settings) as telegram:
        reception = telegram.core.reception
        real, failures = reception.handle, 0

        async def hiccup(*args: Any, **kwargs: Any) -> Any:
            nonlocal failures
            if failures < 4:
                failures += 1
                raise RuntimeError("hiccup")
            return await real(*args, **kwargs)

        reception.handle = hiccup  # type: ignore[method-assign]
        await parent.send_text("/help")
        [reply] = await parent.wait_for(1, timeout=30)
        aside = await set_aside(telegram)
    assert reply["text"].startswith(HELP) and failures == 4
    assert aside == []
