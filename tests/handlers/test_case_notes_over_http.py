"""The VP's case card and notes over the local Bot API: a parent asks, Amina accepts, writes a
note and reads the card with the note and the parent's question; Omar, who is not on the
case, gets what an alias nobody has gets; the parent's /note and /case are unknown commands
to them. The note is in neither a dump of the database nor the log, and /forget erases it.
"""

from __future__ import annotations

import asyncio
import io
import random
import string
from collections.abc import AsyncIterator

import pytest

from bot.services import staff_words as words
from bot.services.reception import FORGET_YES
from storage.people import Profile
from tests.bot.services.test_cases import CATALOGS
from tests.bot.test_privacy_at_rest import dump, production_log  # noqa: F401  (a fixture)
from tests.botapi import FakeBotApi, FakeUser
from tests.botapi.profile import commands_key
from tests.handlers.test_flows_over_http import buttons, press_index
from tests.handlers.test_handoff_over_http import everything, invite, join
from tests.live import live_bot, migrated, settings_for

NL = CATALOGS.translator("nl")  # the VPs have not chosen a language: Dutch


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def _random(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


async def ask_in_words(parent: FakeUser, question: str) -> None:
    """The ask flow in Dutch, the question typed: school, no preference, talk, yes."""
    await parent.send_text("/start")
    await parent.wait_for(1)
    await parent.press("lang:nl")
    await parent.wait_for(3)  # the short welcome: hello (2), menu
    await press_index(parent, 0)  # ask a question
    await parent.wait_for(1)
    await press_index(parent, 1)  # school
    await parent.wait_for(2)
    await parent.send_text(question)
    await parent.wait_for(1)
    await press_index(parent, 2)  # no preference
    await parent.wait_for(1)
    await press_index(parent, 1)  # talk to someone
    await parent.wait_for(2)
    await press_index(parent, 0)  # yes, pass it on
    await parent.wait_for(1)


async def menu_of(api: FakeBotApi, user: FakeUser) -> list[str]:
    key = commands_key({"type": "chat", "chat_id": user.id}, None)
    for _ in range(100):
        if api.world.commands.get(key):
            break
        await asyncio.sleep(0.05)
    return [c["command"] for c in api.world.commands.get(key, [])]


async def test_a_note_and_the_card_reach_only_the_vp_on_the_case(
    api: FakeBotApi,
    database_url: str,
    production_log: io.StringIO,  # noqa: F811
) -> None:
    url = await migrated(database_url)
    rng = random.Random()
    question = f"Mijn zoon {_random(rng, 10)} wil niet meer naar school, wat kan ik doen?"
    note = f"Moeder belt liever na drie uur {_random(rng, 12)}"
    parent = api.user(rng.randrange(1_000_000_000, 9_999_999_999), language_code="nl")
    omar = api.user(8602, language_code="nl")  # speaks Turkish: never offered this question
    amina = api.user(8601, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await join(omar, await invite(url, Profile("vp", "Omar B", ("tr",), "m")))
        await join(amina, await invite(url, Profile("vp", "Amina E", ("nl",), "f")))
        await ask_in_words(parent, question)
        [offer] = await amina.wait_for(1)
        await amina.press(buttons(offer)[0]["callback_data"])  # Accept
        await amina.wait_for(2)  # "You accepted …", then the question
        await parent.wait_for(1)  # told that Amina has it
        alias = offer["text"].split("\n")[0].split()[-1]  # "New question K7F2"

        await amina.send_text(f"/note {alias} {note}")
        [saved] = await amina.wait_for(1)
        await amina.send_text(f"/case {alias}")
        head, asked, notes = await amina.wait_for(3)

        await omar.send_text(f"/case {alias}")
        [omar_card] = await omar.wait_for(1)
        await omar.send_text(f"/note {alias} Ik lees mee")
        [omar_note] = await omar.wait_for(1)

        for command in ("/nonsense", f"/note {alias} hallo", f"/case {alias}"):
            await parent.send_text(command)
        unknown, parent_note, parent_case = await parent.wait_for(3)

        while_kept, counts = await dump(url)
        vp_menu = await menu_of(api, amina)

        await parent.send_text("/forget")
        await parent.wait_for(1)
        await parent.press(FORGET_YES)
        await parent.wait_for(1)
        await amina.wait_for(1)  # asked to delete the rest of the conversation
        _, counts_after = await dump(url)

    assert alias in offer["text"] and "case" in vp_menu and "note" in vp_menu
    assert alias in saved["text"] and note not in saved["text"]
    assert NL.gettext("Question {alias}").format(alias=alias) in head["text"]
    assert words.topic(NL, "school") in head["text"] and question not in head["text"]
    assert asked["text"] == question and asked["has_protected_content"]
    assert note in notes["text"] and "Amina" in notes["text"] and notes["has_protected_content"]
    refused = NL.gettext("{alias} is not one of your open questions.").format(alias=alias)
    assert omar_card["text"] == omar_note["text"] == refused
    assert note not in everything(omar, api) and question not in everything(omar, api)
    assert parent_note["text"] == parent_case["text"] == unknown["text"]
    assert note not in everything(parent, api)
    assert counts["case_note"] == 1 and note not in while_kept and question not in while_kept
    assert counts_after["case_note"] == 0 and counts_after["cases"] == 0
    logs = production_log.getvalue()
    assert "signed in as" in logs  # a real log
    assert note not in logs and question not in logs
