"""Input that once crashed its update, over the local Bot API: each kind gets its own answer
in the person's language, and changes nothing else.

A lone "/", button data with a superscript digit ("²".isdigit() is True, int("²") fails), a
button signature in non-ASCII characters (hmac.compare_digest refuses such a str), and staff
commands with such digits (/capacity ², /deactivate ², /reassign K7F2 ²)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.i18n import RLM
from bot.services.staff import STAFF_LANGUAGE
from storage import Database
from storage.people import Profile
from storage.records import Case, ConversationRecord, Person
from tests.bot.services.test_cases import CATALOGS
from tests.botapi import FakeBotApi, FakeUser
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import VAULT, ask_to_talk, invite, join
from tests.live import live_bot, migrated, settings_for

SLASH_HINT = "Write a command straight after the slash, in Latin letters, for example /help."
NO_LONGER = "That button no longer works."
CAPACITY = "Write a number from 1 to 20, for example /capacity 3."
VP_NUMBER = "Write the number of a vertrouwenspersoon as /vps shows it, for example /deactivate 3."


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def said(language: str, msgid: str) -> str:
    return CATALOGS.translator(language).gettext(msgid)


def text_of(message: dict[str, Any]) -> str:
    return str(message.get("text", "")).replace(RLM, "")


async def forge(user: FakeUser, data: str) -> None:
    """Press a button of the latest keyboard whose callback_data was altered to `data`
    (without a keyboard, one is made up on the latest message)."""
    latest = next((m for m in reversed(user.received) if buttons(m)), None)
    if latest is None:
        latest = user.received[-1]
        latest["reply_markup"] = {"inline_keyboard": [[{"text": "?", "callback_data": ""}]]}
    latest["reply_markup"]["inline_keyboard"][0][0]["callback_data"] = data
    await user.press(data)


async def conversation(url: str, user: FakeUser) -> ConversationRecord | None:
    database = Database(url)
    try:
        async with database.transaction() as uow:
            parent = await uow.parents.find(VAULT.subject_hash("telegram", user.id))
            assert parent is not None
            return await uow.conversations.get(parent.id)
    finally:
        await database.dispose()


async def person(url: str, user: FakeUser) -> Person:
    database = Database(url)
    try:
        async with database.transaction() as uow:
            found = await uow.people.find(VAULT.subject_hash("telegram", user.id))
    finally:
        await database.dispose()
    assert found is not None
    return found


async def only_case(url: str, parent: FakeUser) -> tuple[Case, list[tuple[int, int, str]]]:
    """The parent's only case and its offers (id, VP id, status)."""
    database = Database(url)
    try:
        async with database.transaction() as uow:
            found = await uow.parents.find(VAULT.subject_hash("telegram", parent.id))
            assert found is not None
            [case] = await uow.cases.of_parent(found.id)
            offers = await uow.cases.offers_of(case.id)
    finally:
        await database.dispose()
    return case, offers


async def a_parent_in_the_menu(parent: FakeUser, language: str) -> None:
    await parent.send_text("/start")
    await parent.wait_for(1)
    await parent.press(f"lang:{language}")
    await parent.wait_for(3)  # the short welcome: hello (2), menu


async def test_a_lone_slash_gets_a_hint_in_the_parents_language(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent = api.user(7101, language_code="ar")
    async with live_bot(settings_for(api, url)):
        await a_parent_in_the_menu(parent, "ar")
        before = await conversation(url, parent)
        answers = []
        for text in ("/", "/ ", "/ help", "/стоп"):  # no Latin command word after the slash
            await parent.send_text(text)
            [answer] = await parent.wait_for(1)
            answers.append(answer)
        after = await conversation(url, parent)
    assert [text_of(a) for a in answers] == [said("ar", SLASH_HINT)] * 4
    assert answers[0]["text"].startswith(RLM)  # Arabic reads right to left
    assert after == before


async def test_a_lone_slash_from_staff_gets_the_hint_in_the_staff_language(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    vp, coordinator = api.user(7111, language_code="en"), api.user(7112, language_code="ar")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Noor B", ("nl",), "f")))
        await join(coordinator, await invite(url, Profile("coordinator", "Sanne de Vries")))
        for user in (vp, coordinator):
            await user.send_text("/")
        [to_vp] = await vp.wait_for(1)
        [to_coordinator] = await coordinator.wait_for(1)
    assert to_vp["text"] == to_coordinator["text"] == said(STAFF_LANGUAGE, SLASH_HINT)


async def test_a_flow_button_with_a_superscript_digit_is_refused(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent = api.user(7121, language_code="tr")
    async with live_bot(settings_for(api, url)):
        await a_parent_in_the_menu(parent, "tr")
        menu = parent.received[-1]
        token = buttons(menu)[0]["callback_data"]  # f<step>.<index>.<signature>
        before = await conversation(url, parent)
        await forge(parent, "f²" + token[1:])
        refused = await parent.wait_for(2)
        await forge(parent, token.replace(".0.", ".²."))
        refused += await parent.wait_for(2)
        after = await conversation(url, parent)
    assert [text_of(m) for m in refused[::2]] == [said("tr", NO_LONGER)] * 2
    assert [m["text"] for m in refused[1::2]] == [menu["text"]] * 2  # where we are now
    assert after == before


async def test_a_button_signature_in_non_ascii_characters_is_refused(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent = api.user(7131, language_code="uk")
    async with live_bot(settings_for(api, url)):
        await a_parent_in_the_menu(parent, "uk")
        menu = parent.received[-1]
        token = buttons(menu)[0]["callback_data"]
        before = await conversation(url, parent)
        await forge(parent, token[:-8] + "ÄÖÜßéèçñ")
        refused = await parent.wait_for(2)
        await parent.press(token)  # the real button still works
        await parent.wait_for(1)
        after = await conversation(url, parent)
    assert text_of(refused[0]) == said("uk", NO_LONGER)
    assert refused[1]["text"] == menu["text"]
    assert before is not None and after is not None and after.step == before.step + 1


async def test_an_offer_button_with_a_superscript_digit_is_refused(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent, vp = api.user(7141, language_code="nl"), api.user(7142, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Noor B", ("nl",), "f")))
        await ask_to_talk(parent, "nl")
        [offer] = await vp.wait_for(1)
        accept = buttons(offer)[0]["callback_data"]  # offer:<id>:yes
        _, offer_id, answer = accept.split(":")
        refused = []
        for data in (f"offer:²:{answer}", f"offer:{offer_id}²:{answer}", f"offer:{offer_id}:²"):
            await forge(vp, data)
            refused += await vp.wait_for(1)
        case, offers = await only_case(url, parent)
        for data in ("close:close:²", "outcome:²:helped", "block:²", "duo:²:1", "relay:²:1"):
            await forge(vp, data)
            refused += await vp.wait_for(1)
        await forge(vp, accept)
        await vp.wait_for(2)
        accepted, _ = await only_case(url, parent)
    assert [m["text"] for m in refused] == [said(STAFF_LANGUAGE, NO_LONGER)] * 8
    assert case.status == "offered" and [status for *_, status in offers] == ["open"]
    assert accepted.status == "accepted"


async def test_a_capacity_that_is_not_plain_digits_is_refused(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    vp = api.user(7151, language_code="pl")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Noor B", ("nl",), "f", capacity=4)))
        answers = []
        for argument in ("²", "٣", "3²", "99999999999999999999", "0", "21", "-1", ""):
            await vp.send_text(f"/capacity {argument}".strip())
            answers += await vp.wait_for(1)
        unchanged = await person(url, vp)
        await vp.send_text("/capacity 3")
        [done] = await vp.wait_for(1)
        changed = await person(url, vp)
    assert [m["text"] for m in answers] == [said(STAFF_LANGUAGE, CAPACITY)] * 8
    assert unchanged.capacity == 4 and changed.capacity == 3 and "3" in done["text"]


async def test_staff_commands_with_numbers_that_are_not_plain_digits_are_refused(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent, vp = api.user(7161, language_code="nl"), api.user(7162, language_code="nl")
    coordinator = api.user(7163, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Noor B", ("nl",), "f")))
        await join(coordinator, await invite(url, Profile("coordinator", "Sanne de Vries")))
        await ask_to_talk(parent, "nl")
        await vp.wait_for(1)  # the offer
        case, offers = await only_case(url, parent)
        commands = [
            "/deactivate ²",
            "/activate ²",
            f"/reassign {case.alias} ²",
            "/deactivate ¹²",
            "/deactivate ٣",
            "/activate 12345678901234567890",
        ]
        answers = []
        for command in commands:
            await coordinator.send_text(command)
            answers += await coordinator.wait_for(1)
        await coordinator.send_text("/vps")
        [vps] = await coordinator.wait_for(1)
        await forge(coordinator, f"assign:²:{(await person(url, vp)).id}")
        [button] = await coordinator.wait_for(1)
        after, offers_after = await only_case(url, parent)
    assert [m["text"] for m in answers] == [said(STAFF_LANGUAGE, VP_NUMBER)] * len(commands)
    assert button["text"] == said(STAFF_LANGUAGE, NO_LONGER)
    assert (await person(url, vp)).active and "Noor B" in vps["text"]
    assert (after.status, after.vp_id, offers_after) == (case.status, case.vp_id, offers)
