"""A VP's gender in the parent's grammar, over the local Bot API: the Arabic "has taken your
question" says هي and ستكتب (she, she will write) of a woman, هو and سيكتب of a man.

These pass once the vp:f/vp:m translations are in the catalogs (tests/bot/test_gendered_texts.py
lists what is missing)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.people import Profile
from tests.botapi import FakeBotApi
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import ask_to_talk, invite, join
from tests.live import live_bot, migrated, settings_for

FEMININE, MASCULINE = ("هي", "ستكتب"), ("هو", "سيكتب")


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.mark.parametrize(
    ("gender", "name", "used", "never"),
    [("f", "Amina", FEMININE, MASCULINE), ("m", "Omar", MASCULINE, FEMININE)],
)
async def test_the_arabic_good_news_speaks_of_the_vp_in_their_gender(
    api: FakeBotApi,
    database_url: str,
    gender: str,
    name: str,
    used: tuple[str, ...],
    never: tuple[str, ...],
) -> None:
    url = await migrated(database_url)
    parent, vp = api.user(8301, language_code="ar"), api.user(8302, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", name, ("ar",), gender)))
        await ask_to_talk(parent, "ar")
        [offer] = await vp.wait_for(1)
        await vp.press(buttons(offer)[0]["callback_data"])  # Accept
        await vp.wait_for(2)
        [told] = await parent.wait_for(1)
    text = told["text"]
    assert name in text
    assert all(word in text for word in used), text
    assert not any(word in text for word in never), text
