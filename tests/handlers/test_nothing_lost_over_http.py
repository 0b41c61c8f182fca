"""Nothing a parent says is lost (#14), over the local Bot API: a question typed while
buttons wait, "type it when you're ready" and days later, a message after the case was
closed, a text of 4,000 characters (and a relayed copy over Telegram's limit, in two parts),
/language in the middle of a flow, and a first message from a phone in a language we do not
offer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.services.clock import ManualClock
from bot.services.keeping import KEEP_YES
from bot.services.reception import LANGUAGE_ACTION
from storage import Database
from storage.people import Profile
from storage.records import Case
from tests.botapi import FakeBotApi, FakeUser
from tests.botapi.people import buttons
from tests.handlers.test_handoff_over_http import VAULT, invite, join
from tests.handlers.test_relay_over_http import accept_offer, recorded
from tests.journeys import press_index
from tests.live import live_bot, migrated, settings_for

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
QUESTION = "Mijn zoon wil al twee weken niet naar school. Wat kan ik doen?"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def welcomed(parent: FakeUser, lang: str = "nl") -> list[dict[str, Any]]:
    """/start, the language, and the short welcome up to the menu."""
    await parent.send_text("/start")
    await parent.wait_for(1)
    await parent.press(LANGUAGE_ACTION + lang)
    return await parent.wait_for(1, predicate=lambda m: bool(buttons(m)))


async def cases_of(url: str, parent: FakeUser) -> list[tuple[Case, dict[str, Any]]]:
    database = Database(url)
    try:
        async with database.transaction() as uow:
            found = await uow.parents.find(VAULT.subject_hash("telegram", parent.id))
            assert found is not None
            cases = await uow.cases.of_parent(found.id)
    finally:
        await database.dispose()
    return [(case, json.loads(VAULT.open(case.sealed_answers))) for case in cases]


async def pass_on(parent: FakeUser) -> None:
    """At the preference: no preference, talk to someone, yes, pass it on."""
    await press_index(parent, 2)
    await parent.wait_for(1)
    await press_index(parent, 1)
    await parent.wait_for(2)
    await press_index(parent, 0)
    await parent.wait_for(1)


async def pass_on_after_the_topic(parent: FakeUser) -> None:
    """From the topic question, with the question already kept: the question itself is not
    asked again."""
    await press_index(parent, 1)  # school
    [preference] = await parent.wait_for(1)
    assert len(buttons(preference)) == 3, "the question was asked again instead of kept"
    await pass_on(parent)


async def with_a_vp(parent: FakeUser, vp: FakeUser) -> None:
    """The parent types their question at the menu, keeps it, passes it on; the VP accepts."""
    await welcomed(parent)
    await parent.send_text(QUESTION)
    await parent.wait_for(1)
    await parent.press(KEEP_YES)
    await parent.wait_for(2)
    await pass_on_after_the_topic(parent)
    await accept_offer(vp)


async def test_a_question_typed_at_the_menu_is_kept_as_the_question(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent = api.user(14001, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await welcomed(parent)
        await parent.send_text(QUESTION)
        [asked] = await parent.wait_for(1)
        assert QUESTION in asked["text"]
        assert next(b["callback_data"] for b in buttons(asked)) == KEEP_YES
        await parent.press(KEEP_YES)
        _thanks, topic = await parent.wait_for(2)
        assert len(buttons(topic)) == 7  # the topics
        await pass_on_after_the_topic(parent)
        [(case, answers)] = await cases_of(url, parent)
    assert answers["question"] == QUESTION and case.topic == "school"


async def test_words_typed_after_the_question_go_with_it(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent = api.user(14002, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await welcomed(parent)
        await press_index(parent, 0)  # ask a question
        await parent.wait_for(1)
        await press_index(parent, 1)  # school
        await parent.wait_for(2)
        await parent.send_text(QUESTION)
        await parent.wait_for(1)  # a woman or a man?
        await parent.send_text("Hij is twaalf jaar en zit in groep acht.")
        _added, again = await parent.wait_for(2)
        assert len(buttons(again)) == 3  # the same question again
        await pass_on(parent)
        [(_, answers)] = await cases_of(url, parent)
    assert answers["question"] == QUESTION
    assert answers["question_added"] == ["Hij is twaalf jaar en zit in groep acht."]


async def test_type_it_later_days_later_is_the_question(api: FakeBotApi, database_url: str) -> None:
    url = await migrated(database_url)
    clock = ManualClock(START)
    parent = api.user(14003, language_code="nl")
    async with live_bot(settings_for(api, url), clock):
        await welcomed(parent)
        await press_index(parent, 0)  # ask a question
        await parent.wait_for(1)
        await press_index(parent, 1)  # school
        await parent.wait_for(2)  # tell your question…
        clock.advance(timedelta(days=2, minutes=1))
        [later] = await parent.wait_for(1, timeout=90)  # no hurry: type it when ready
        assert not buttons(later)
        clock.advance(timedelta(days=9))
        await parent.send_text(QUESTION)
        [preference] = await parent.wait_for(1)
        assert len(buttons(preference)) == 3
        await pass_on(parent)
        [(_, answers)] = await cases_of(url, parent)
    assert answers["question"] == QUESTION


async def test_a_message_after_closing_is_kept_for_the_next_question(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent, vp = api.user(14004, language_code="nl"), api.user(14005, language_code="nl")
    later = "Nog iets: de school belde vandaag weer over hem."
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Amina E", ("nl",), "f")))
        await with_a_vp(parent, vp)
        await parent.wait_for(1)  # good news: Amina has your question
        await vp.send_text("/close")
        [outcomes] = await vp.wait_for(1)
        await vp.press(buttons(outcomes)[0]["callback_data"])
        await vp.wait_for(1)
        await parent.wait_for(1)  # closed, kindly
        await parent.send_text(later)
        [again] = await parent.wait_for(1)  # continue with Amina, or someone new
        assert "Amina" in buttons(again)[0]["text"] and len(buttons(again)) == 2
        await press_index(parent, 1)  # someone new: the message is kept for the question
        note, menu = await parent.wait_for(2)
        assert "💬" in note["text"] and len(buttons(menu)) == 4  # the menu's choices
        await press_index(parent, 0)  # ask a question
        await parent.wait_for(1)
        await pass_on_after_the_topic(parent)
        first, second = await cases_of(url, parent)
    assert first[0].status == "closed" and second[1]["question"] == later


async def test_a_text_of_4000_characters_is_taken_and_relayed_in_order(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent, vp = api.user(14006, language_code="nl"), api.user(14007, language_code="nl")
    long_question = ("Dit is een lange vraag over school. " * 112)[:3999] + "?"
    longest = ("woord " * 700)[:4096]
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Amina E", ("nl",), "f")))
        await welcomed(parent)
        await press_index(parent, 0)
        await parent.wait_for(1)
        await press_index(parent, 1)
        await parent.wait_for(2)
        await parent.send_text(long_question)
        [preference] = await parent.wait_for(1)
        assert len(buttons(preference)) == 3, preference["text"]
        await pass_on(parent)
        _, question = await accept_offer(vp)
        await parent.wait_for(1)
        await parent.send_text(longest)
        first, second = await vp.wait_for(2)
        await recorded(url, 1)
    assert question["text"] == long_question
    head = first["text"].split("\n", 1)[0]
    assert second["text"].startswith(head + "\n")
    body = first["text"].split("\n", 1)[1] + second["text"].split("\n", 1)[1]
    assert body == longest and first["message_id"] < second["message_id"]


async def test_language_mid_flow_asks_the_same_question_again_in_the_new_language(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent = api.user(14008, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await welcomed(parent)
        await press_index(parent, 0)
        [topic_nl] = await parent.wait_for(1)
        await parent.send_text("/language")
        await parent.wait_for(1)
        await parent.press(LANGUAGE_ACTION + "tr")
        _confirm, topic_tr = await parent.wait_for(2)
        await press_index(parent, 1)  # school, on the Turkish keyboard
        question, _warning = await parent.wait_for(2)
    assert len(buttons(topic_tr)) == len(buttons(topic_nl)) == 7
    assert topic_tr["text"] != topic_nl["text"]
    assert [b["text"][:2] for b in buttons(topic_tr)] == [b["text"][:2] for b in buttons(topic_nl)]
    assert question["text"] != topic_nl["text"]


async def test_language_with_a_vp_changes_the_bot_texts_and_the_vp_is_told(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent, vp = api.user(14009, language_code="nl"), api.user(14010, language_code="nl")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Amina E", ("nl", "tr"), "f")))
        await with_a_vp(parent, vp)
        await parent.wait_for(1)
        await parent.send_text("/language")
        await parent.wait_for(1)
        await parent.press(LANGUAGE_ACTION + "tr")
        await parent.wait_for(1)
        [told] = await vp.wait_for(1)
        await parent.send_text("Merhaba, hâlâ buradayım.")
        [copy] = await vp.wait_for(1)
        [(case, _)] = await cases_of(url, parent)
    assert case.alias in told["text"] and "Turks" in told["text"]
    assert case.language == "tr" and case.status == "accepted"
    assert copy["text"].endswith("Merhaba, hâlâ buradayım.")


async def test_a_first_message_from_a_persian_phone_gets_the_picker_and_is_kept(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent = api.user(14011, language_code="fa")
    async with live_bot(settings_for(api, url)):
        await parent.send_text(QUESTION)
        [picker] = await parent.wait_for(1)
        assert all(b["callback_data"].startswith(LANGUAGE_ACTION) for b in buttons(picker))
        assert not any(b["text"].startswith("✓") for b in buttons(picker))
        await parent.press(LANGUAGE_ACTION + "nl")
        *_, menu, asked = await parent.wait_for(4)  # the welcome, then about the message
        assert QUESTION in asked["text"] and len(buttons(menu)) == 4
        await parent.press(KEEP_YES)
        await parent.wait_for(2)  # kept; the topics
        await pass_on_after_the_topic(parent)
        [(_, answers)] = await cases_of(url, parent)
    assert answers["question"] == QUESTION
