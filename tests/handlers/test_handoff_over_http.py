"""The handoff over the local Bot API with four actors: a parent, two VPs, a coordinator.

flow → case → offer to the matching VP → decline → offer to the next → accept → the parent
is told; a case nobody can take reaches the coordinator. Nothing a VP or coordinator
receives carries the parent's Telegram id, name or username. (The relay comes next.)
"""

from __future__ import annotations

import random
import string
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.i18n import RLM
from bot.services import staff_words as words
from bot.services.privacy import IdentityVault
from bot.services.staff import Staff
from storage import Database
from storage.people import Profile
from tests.bot.services.test_cases import CATALOGS
from tests.botapi import FakeBotApi, FakeUser
from tests.conftest import TEST_SECRET_KEY
from tests.handlers.test_flows_over_http import buttons, press_index
from tests.live import live_bot, migrated, settings_for

VAULT = IdentityVault(TEST_SECRET_KEY)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def invite(url: str, profile: Profile) -> str:
    database = Database(url)
    try:
        async with database.transaction() as uow:
            code, _ = await Staff(VAULT).invite(uow, profile, datetime.now(UTC), timedelta(days=1))
    finally:
        await database.dispose()
    return code


async def join(user: FakeUser, code: str) -> None:
    await user.send_text(f"/start {code}")
    await user.wait_for(1)


def everything(user: FakeUser, api: FakeBotApi) -> str:
    """All a person received: texts, captions, buttons and their callback data."""
    parts: list[Any] = []
    for message in user.received:
        parts += [message.get("text", ""), message.get("caption", "")]
        parts += [(b["text"], b.get("callback_data", "")) for b in buttons(message)]
    # What the bot asked Telegram to show them, too; except a copy's source chat, which
    # Telegram needs to find the original and never shows (the copy is checked above).
    calls = [call for method, call in api.requests if call.get("chat_id") == user.id]
    parts += [{k: v for k, v in call.items() if k != "from_chat_id"} for call in calls]
    return repr(parts)


async def ask_to_talk(parent: FakeUser, lang: str) -> None:
    await parent.send_text("/start")
    await parent.wait_for(1)
    await parent.press(f"lang:{lang}")
    await parent.wait_for(3)  # the short welcome: hello (2), menu
    await press_index(parent, 0)  # ask a question
    await parent.wait_for(1)
    await press_index(parent, 1)  # school
    await parent.wait_for(2)
    await parent.send_voice(duration=9)
    await parent.wait_for(1)
    await press_index(parent, 2)  # no preference
    await parent.wait_for(1)
    await press_index(parent, 1)  # talk to someone
    await parent.wait_for(2)
    await press_index(parent, 0)  # yes, pass it on
    await parent.wait_for(1)


async def test_decline_then_accept_and_the_parent_is_told(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    rng = random.Random()
    first_name = "".join(rng.choice(string.ascii_letters) for _ in range(9))
    username = "u" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))
    parent_id = rng.randrange(1_000_000_000, 9_999_999_999)
    parent = api.user(parent_id, first_name, username=username, language_code="ar")
    declines, accepts = api.user(8101, language_code="nl"), api.user(8102, language_code="nl")
    coordinator = api.user(8103, language_code="nl")
    async with live_bot(settings_for(api, url)):
        # the least loaded and longest idle goes first: the one who will decline joins first
        await join(declines, await invite(url, Profile("vp", "Fatima Z", ("ar",), "f")))
        await join(accepts, await invite(url, Profile("vp", "Amina E", ("ar", "nl"), "f")))
        await join(coordinator, await invite(url, Profile("coordinator", "Sanne de Vries")))
        await ask_to_talk(parent, "ar")
        [offer] = await declines.wait_for(1)
        assert len(buttons(offer)) == 2  # Accept, Decline
        await declines.press(buttons(offer)[1]["callback_data"])
        await declines.wait_for(1)
        [second] = await accepts.wait_for(1)
        await accepts.press(buttons(second)[0]["callback_data"])
        accepted = await accepts.wait_for(2)
        [told] = await parent.wait_for(1)
    nl = CATALOGS.translator("nl")  # the VPs have not chosen a language: Dutch
    assert words.language(nl, "ar") in offer["text"] and words.topic(nl, "school") in offer["text"]
    assert words.urgency(nl, False) in offer["text"]
    assert "voice" in accepted[1]  # the parent's voice message, after Accept only
    assert told["text"].startswith(RLM) and "Amina" in told["text"]
    for staff in (declines, accepts, coordinator):
        seen = everything(staff, api)
        assert str(parent_id) not in seen and first_name not in seen and username not in seen
    database = Database(url)
    try:
        async with database.transaction() as uow:
            found = await uow.parents.find(VAULT.subject_hash("telegram", parent_id))
            assert found is not None
            [case] = await uow.cases.of_parent(found.id)
            history = [kind for kind, _ in await uow.cases.history(case.id)]
    finally:
        await database.dispose()
    assert case.status == "accepted"
    assert case.alias in offer["text"] and case.alias in second["text"]
    assert case.alias in accepted[0]["text"]
    assert history == ["opened", "offered", "declined", "offered", "accepted"]


async def test_a_case_nobody_can_take_reaches_the_coordinator(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent, coordinator = api.user(8201, language_code="nl"), api.user(8202, language_code="nl")
    vp = api.user(8203, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Hatice Y", ("tr",), "f")))
        await join(coordinator, await invite(url, Profile("coordinator", "Sanne de Vries")))
        await ask_to_talk(parent, "ti")
        [note] = await coordinator.wait_for(1)
        [honest] = await parent.wait_for(1)
    nl = CATALOGS.translator("nl")
    does_not_speak = nl.gettext("does not speak {language}").format(
        language=words.language(nl, "ti")
    )
    assert f"VP 1 (Hatice): {does_not_speak}" in note["text"]
    assert " ti" not in note["text"]  # a word, never the code
    assert honest["text"] and honest["text"] != note["text"]
    assert vp.received[1:] == []  # the VP got nothing but the registration
