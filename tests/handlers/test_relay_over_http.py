"""The whole handoff and relay over the local Bot API, with four actors: a parent, two VPs
and a coordinator.

flow → case → offer → decline → offer to the next → accept → text, voice and a photo
relayed both ways → close with an outcome → the parent is told. Nothing any staff member
received carries the parent's Telegram id, name or username, and a dump of the database
afterwards holds none of them in clear.
"""

from __future__ import annotations

import asyncio
import random
import string
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.i18n import RLM
from bot.services.relay import Relay
from storage import Database
from storage.people import Profile
from storage.tables import RelayRow
from tests.bot.services.test_cases import CATALOGS
from tests.bot.test_privacy_at_rest import dump
from tests.botapi import FakeBotApi, FakeUser
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import VAULT, ask_to_talk, everything, invite, join
from tests.live import live_bot, migrated, settings_for


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def random_parent(api: FakeBotApi, language: str) -> tuple[FakeUser, list[str]]:
    """A parent with a random id, name and username; returns what must never leak."""
    rng = random.Random()
    first = "".join(rng.choice(string.ascii_letters) for _ in range(10))
    username = "p" + "".join(rng.choice(string.ascii_lowercase) for _ in range(11))
    user_id = rng.randrange(1_000_000_000, 9_999_999_999)
    parent = api.user(user_id, first, username=username, language_code=language)
    return parent, [str(user_id), first, username]


async def accept_offer(vp: FakeUser) -> list[dict[str, Any]]:
    [offer] = await vp.wait_for(1)
    await vp.press(buttons(offer)[0]["callback_data"])
    return await vp.wait_for(2)  # "You accepted …", then the question itself


async def recorded(url: str, copies: int) -> None:
    """Wait until the bot has recorded `copies` relayed copies as sent. Telegram shows a copy
    a moment before the bot notes its message id; a reply in that moment cannot be traced
    to its case, and the VP would be asked which case (safe, but not what a test wants)."""
    database = Database(url)
    t = RelayRow.__table__.c  # type: ignore[attr-defined]
    query = select(func.count()).select_from(RelayRow).where(t.copy_message_id.is_not(None))
    try:
        for _ in range(200):
            async with database.engine.connect() as connection:
                if (await connection.execute(query)).scalar_one() >= copies:
                    return
            await asyncio.sleep(0.05)
    finally:
        await database.dispose()
    raise AssertionError(f"fewer than {copies} relayed copies recorded")


async def case_status(url: str, parent: FakeUser) -> tuple[str, str | None, str, list[str]]:
    """The status, outcome, alias and history of the parent's only case."""
    database = Database(url)
    try:
        async with database.transaction() as uow:
            found = await uow.parents.find(VAULT.subject_hash("telegram", parent.id))
            assert found is not None
            [case] = await uow.cases.of_parent(found.id)
            history = [kind for kind, _ in await uow.cases.history(case.id)]
    finally:
        await database.dispose()
    return case.status, case.outcome, case.alias, history


async def test_four_actors_from_flow_to_closing(api: FakeBotApi, database_url: str) -> None:
    url = await migrated(database_url)
    parent, secrets_of_parent = random_parent(api, "ar")
    declines, amina = api.user(8301, language_code="nl"), api.user(8302, language_code="nl")
    coordinator = api.user(8303, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await join(declines, await invite(url, Profile("vp", "Fatima Z", ("ar",), "f")))
        await join(amina, await invite(url, Profile("vp", "Amina E", ("ar", "nl"), "f")))
        await join(coordinator, await invite(url, Profile("coordinator", "Sanne de Vries")))
        await ask_to_talk(parent, "ar")
        [offer] = await declines.wait_for(1)
        await declines.press(buttons(offer)[1]["callback_data"])  # Decline
        await declines.wait_for(1)
        intro, question = await accept_offer(amina)
        [told] = await parent.wait_for(1)

        # parent → VP: text, voice, photo; copied, protected, under the case's alias
        text = await parent.send_text("Mijn zoon wil niet meer naar school.")
        await parent.send_voice(duration=7)
        await parent.send_photo(caption="zijn rooster")
        copies = await amina.wait_for(3)
        await recorded(url, 3)

        # VP → parent: a reply, a voice message (the parent refuses voice: it comes as
        # audio) and a photo
        await amina.reply_to(copies[0]["message_id"], "Dank je. Sinds wanneer?")
        parent.forbid_voice_messages()
        await amina.send_voice(duration=4)
        await amina.send_photo(caption="folder van het CJG")
        answers = await parent.wait_for(3)

        # an edit is relayed as a reply to the copy it changes
        await parent.edit_text(text["message_id"], "Mijn zoon wil al twee weken niet naar school.")
        [edit] = await amina.wait_for(1)

        # close with an outcome; the parent is told kindly
        await amina.send_text("/close")
        [outcomes] = await amina.wait_for(1)
        await amina.press(next(b for b in buttons(outcomes) if "Geholpen" in b["text"])["text"])
        [closed_note] = await amina.wait_for(1)
        [closing] = await parent.wait_for(1)
    assert "voice" in question and question["has_protected_content"]
    assert told["text"].startswith(RLM) and "Amina" in told["text"]
    # the copies: no "forwarded from", protected, headed by the alias only
    status, outcome, alias, history = await case_status(url, parent)
    assert alias in intro["text"]
    assert [c.get("text", c.get("caption", "")).split("\n")[0] for c in copies] == [
        f"{alias} ▸"
    ] * 3
    assert copies[0]["text"].endswith("Mijn zoon wil niet meer naar school.")
    assert "voice" in copies[1] and "photo" in copies[2] and "zijn rooster" in copies[2]["caption"]
    assert all(c.get("has_protected_content") for c in copies)
    assert not any("forward_origin" in c for c in copies)
    # the answers: from "Amina", the first one a reply to the parent's own message
    first, audio, photo = answers
    assert first["text"].startswith(RLM + "Amina:") and first["text"].endswith("Sinds wanneer?")
    assert first["reply_to_message"]["message_id"] == text["message_id"]
    assert "audio" in audio and "voice" not in audio and "Amina" in audio["caption"]
    assert "photo" in photo and "folder van het CJG" in photo["caption"]
    assert not any(a.get("has_protected_content") for a in answers)
    marked = CATALOGS.translator("nl").gettext("{alias} ▸ (edited)").format(alias=alias)
    assert edit["text"] == f"{marked}\nMijn zoon wil al twee weken niet naar school."
    assert edit["reply_to_message"]["message_id"] == copies[0]["message_id"]
    assert alias in closed_note["text"]
    assert closing["text"].startswith(RLM) and "Amina" in closing["text"]
    assert (status, outcome) == ("closed", "helped")
    # the parent's own messages show a 👍 once they are passed on: a receipt that says nothing
    assert parent.chat.reactions.get(text["message_id"]) == [{"type": "emoji", "emoji": "👍"}]
    assert history == [
        "opened",
        "offered",
        "declined",
        "offered",
        "accepted",
        "in_contact",
        "closed",
    ]
    for staff in (declines, amina, coordinator):
        seen = everything(staff, api)
        assert not [s for s in secrets_of_parent if s in seen], staff.id
    rows, _ = await dump(url)
    assert not [s for s in secrets_of_parent if s in rows]


async def test_revealing_messages_are_refused_and_not_kept(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent, secrets_of_parent = random_parent(api, "nl")
    vp = api.user(8311, language_code="nl")
    phone, street = "+31612345678", 52.123456
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Noor B", ("nl",), "f")))
        await ask_to_talk(parent, "nl")
        await accept_offer(vp)
        await parent.wait_for(1)  # told who has the question
        refused = [
            await parent.send_contact(phone),
            await parent.send_location(latitude=street, longitude=4.654321),
            await parent.send_document(file_name=f"{secrets_of_parent[1]}-paspoort.pdf"),
        ]
        refusals = await parent.wait_for(3)
        sent_ok = await parent.send_text("ok")  # the relay still works, and comes after
        [after] = await vp.wait_for(1)
        for _ in range(100):  # the receipt goes out after the copy
            if sent_ok["message_id"] in parent.chat.reactions:
                break
            await asyncio.sleep(0.05)
    kind_no = Relay._revealing(CATALOGS.translator("nl"))
    assert [r["text"] for r in refusals] == [kind_no] * 3
    assert after["text"].endswith("ok")  # nothing of the refused three reached the VP
    assert parent.chat.reactions[sent_ok["message_id"]] == [{"type": "emoji", "emoji": "👍"}]
    assert not any(m["message_id"] in parent.chat.reactions for m in refused)
    rows, _ = await dump(url)
    for kept in (phone, "31612345678", str(street), "4.654321", "paspoort", *secrets_of_parent):
        assert kept not in rows, kept
