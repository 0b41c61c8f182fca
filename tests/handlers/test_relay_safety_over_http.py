"""The relay's safety over the local Bot API: a VP with two cases chooses before anything is
sent; a VP who blocks the bot has their case routed again; /forget withdraws the case and
deletes the copies the VP still has; a parent can share their first name, shown back first,
and agree to a second person."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from storage import Database
from storage.people import Profile
from tests.botapi import FakeBotApi, FakeUser
from tests.botapi.profile import commands_key
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import VAULT, ask_to_talk, invite, join
from tests.handlers.test_relay_over_http import accept_offer, random_parent, recorded
from tests.live import live_bot, migrated, settings_for


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def stored_case(url: str, parent: FakeUser) -> tuple[str, int | None, str | None]:
    """(status, VP id, sealed reveal) of the parent's only case; None if erased."""
    database = Database(url)
    try:
        async with database.transaction() as uow:
            found = await uow.parents.find(VAULT.subject_hash("telegram", parent.id))
            if found is None:
                return ("erased", None, None)
            [case] = await uow.cases.of_parent(found.id)
    finally:
        await database.dispose()
    return case.status, case.vp_id, case.sealed_reveal


async def test_two_open_cases_ask_which_and_nothing_is_sent_before(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    first, _ = random_parent(api, "nl")
    second, _ = random_parent(api, "nl")
    vp = api.user(8401, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Noor B", ("nl",), "f", capacity=5)))
        await ask_to_talk(first, "nl")
        _, question_one = await accept_offer(vp)
        await ask_to_talk(second, "nl")
        await accept_offer(vp)
        await first.wait_for(1)
        await second.wait_for(1)
        await vp.send_text("Hoe gaat het nu?")  # not a reply: which case?
        [which] = await vp.wait_for(1)
        received_before = (len(first.received), len(second.received))
        await vp.press(buttons(which)[1]["callback_data"])  # the second case
        [answer] = await second.wait_for(1)
        # a reply to a relayed copy needs no question: it goes to that copy's case
        await first.send_text("Nog een vraag")
        [copy] = await vp.wait_for(1)
        await recorded(url, 2)  # the answer after "which case?", then this copy
        await vp.reply_to(copy["message_id"], "Ik lees mee")
        [reply] = await first.wait_for(1)
    assert len(buttons(which)) == 2 and question_one
    assert received_before == (len(first.received) - 1, len(second.received) - 1)
    assert answer["text"].endswith("Hoe gaat het nu?")
    assert reply["text"].endswith("Ik lees mee")
    assert reply["reply_to_message"]["text"] == "Nog een vraag"
    assert not any("Hoe gaat het" in m.get("text", "") for m in first.received)
    assert not any("Ik lees mee" in m.get("text", "") for m in second.received)


async def test_a_vp_who_blocks_the_bot_mid_case_has_it_routed_again(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent, _ = random_parent(api, "nl")
    leaves, stays = api.user(8411, language_code="nl"), api.user(8412, language_code="nl")
    async with live_bot(settings_for(api, url)):
        # Sara knows about school, so the school question goes to her first
        await join(leaves, await invite(url, Profile("vp", "Sara K", ("nl",), "f", ("school",))))
        await join(stays, await invite(url, Profile("vp", "Hind M", ("nl",), "f")))
        await ask_to_talk(parent, "nl")
        await accept_offer(leaves)
        await parent.wait_for(1)
        leaves.block()  # mid-case
        [told] = await parent.wait_for(1)
        _, question = await accept_offer(stays)
        [again] = await parent.wait_for(1)
        await parent.send_text("Ben je er nog?")
        [copy] = await stays.wait_for(1)
    status, vp_id, _ = await stored_case(url, parent)
    assert "Hind" in again["text"] and "Sara" not in again["text"]
    assert told["text"] != again["text"] and question
    assert status == "accepted" and vp_id is not None
    assert copy["text"].endswith("Ben je er nog?")


async def test_forget_withdraws_and_deletes_the_copies(api: FakeBotApi, database_url: str) -> None:
    url = await migrated(database_url)
    parent, _ = random_parent(api, "nl")
    vp = api.user(8421, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Noor B", ("nl",), "f")))
        await ask_to_talk(parent, "nl")
        await accept_offer(vp)
        await parent.wait_for(1)
        await parent.send_text("Dit wil ik later liever niet meer zien")
        [copy] = await vp.wait_for(1)
        await recorded(url, 1)  # what the bot knows it sent is what it can delete
        await parent.send_text("/forget")
        [question] = await parent.wait_for(1)
        await parent.press(buttons(question)[0]["callback_data"])
        [asked_to_delete] = await vp.wait_for(1)
        await parent.wait_for(1)
        for _ in range(50):  # the delete goes out after the notice
            if copy["message_id"] in vp.deleted_ids:
                break
            await asyncio.sleep(0.1)
    assert copy["message_id"] in vp.deleted_ids
    assert "48" in asked_to_delete["text"]
    assert await stored_case(url, parent) == ("erased", None, None)
    database = Database(url)
    try:
        async with database.transaction() as uow:
            [counted] = await uow.figures.cases()
    finally:
        await database.dispose()
    assert (counted["outcome"], counted["cases"], counted["accepted"]) == ("withdrawn", 1, 1)


async def test_share_a_first_name_and_agree_to_a_second_person(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent, _ = random_parent(api, "nl")
    vp, colleague = api.user(8431, language_code="nl"), api.user(8432, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Noor B", ("nl",), "f")))
        await join(colleague, await invite(url, Profile("vp", "Youssef A", ("ar",), "m")))
        await ask_to_talk(parent, "nl")
        await accept_offer(vp)
        await parent.wait_for(1)
        before_share = len(vp.received)
        await parent.send_text("/share Khadija")
        [shown] = await parent.wait_for(1)
        nothing_yet = len(vp.received) == before_share
        await parent.press(buttons(shown)[0]["callback_data"])  # Send to Noor
        [shared] = await vp.wait_for(1)
        [sent] = await parent.wait_for(1)
        await vp.send_text("/duo")
        [whom] = await vp.wait_for(1)
        await vp.press(buttons(whom)[0]["callback_data"])
        await vp.wait_for(1)  # we asked the parent
        [consent] = await parent.wait_for(1)
        await parent.press(buttons(consent)[0]["callback_data"])  # yes
        intro = await colleague.wait_for(2)
        await vp.wait_for(1)  # the parent agreed
        await parent.wait_for(1)
        await parent.send_text("Fijn dat jullie er zijn")
        [to_vp] = await vp.wait_for(1)
        [to_colleague] = await colleague.wait_for(1)
        await colleague.send_text("Ik help graag mee")
        [from_colleague] = await parent.wait_for(1)
        [seen_by_vp] = await vp.wait_for(1)
    assert "Khadija" in shown["text"] and nothing_yet
    assert "Khadija" in shared["text"] and "Noor" in sent["text"]
    assert shared.get("has_protected_content")
    assert "Youssef" in consent["text"] and "Noor" in consent["text"]
    assert "Noor" in intro[0]["text"] and "Youssef" in buttons(whom)[0]["text"]
    assert to_vp["text"].endswith("Fijn dat jullie er zijn")
    assert to_colleague["text"].endswith("Fijn dat jullie er zijn")
    assert from_colleague["text"].startswith("Youssef:")
    assert seen_by_vp["text"].endswith("Ik help graag mee")
    _, _, sealed = await stored_case(url, parent)
    assert sealed is not None and "Khadija" not in sealed
    assert "Khadija" in VAULT.open(sealed)


async def test_what_a_parent_writes_before_acceptance_reaches_the_vp_after(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent, _ = random_parent(api, "nl")
    vp = api.user(8441, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Noor B", ("nl",), "f")))
        await ask_to_talk(parent, "nl")
        [offer] = await vp.wait_for(1)
        await parent.send_text("Het is ook thuis moeilijk")
        [kept] = await parent.wait_for(1)
        nothing_before_accept = len(vp.received)
        vp.forbid_voice_messages()  # her settings refuse voice: the question comes as audio
        await vp.press(buttons(offer)[0]["callback_data"])
        intro, question, held = await vp.wait_for(3)
    assert nothing_before_accept == len(vp.received) - 3
    assert "Het is ook" not in repr(offer) and "Het is ook" not in kept["text"]
    assert "audio" in question and "voice" not in question
    assert question["has_protected_content"] and held["has_protected_content"]
    assert held["text"].endswith("Het is ook thuis moeilijk")
    assert intro["text"].split()[0] and held["text"].split("\n")[0].endswith("▸")


async def test_staff_get_their_own_command_menu(api: FakeBotApi, database_url: str) -> None:
    url = await migrated(database_url)
    vp, coordinator = api.user(8451, language_code="nl"), api.user(8452, language_code="nl")
    parent = api.user(8453, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Noor B", ("nl",), "f")))
        await join(coordinator, await invite(url, Profile("coordinator", "Sanne de Vries")))
        await parent.send_text("/start")
        await parent.wait_for(1)

        def menu(user: FakeUser) -> list[str]:
            key = commands_key({"type": "chat", "chat_id": user.id}, None)
            return [c["command"] for c in api.world.commands.get(key, [])]

        for _ in range(100):
            if menu(vp) and menu(coordinator):
                break
            await asyncio.sleep(0.05)
    assert "close" in menu(vp) and "urgent" not in menu(vp)
    assert "urgent" in menu(coordinator) and "close" not in menu(coordinator)
    assert menu(parent) == []  # parents keep the default menu: /start, /stop, /forget…
