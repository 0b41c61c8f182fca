"""A parent's entry point without Telegram: language, controls, buttons, the conversation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import Catalogs
from bot.services.buttons import ButtonTokens
from bot.services.console_access import ConsoleAccess
from bot.services.conversations import Conversations
from bot.services.coordinator_settings import Console
from bot.services.flow_library import FlowLibrary
from bot.services.languages import LANGUAGES
from bot.services.privacy import IdentityVault
from bot.services.reception import FORGET_YES, Reception, Subject
from bot.services.staff import Staff
from flows.inputs import Command, Media, Pick, Text
from flows.outputs import Reply
from storage import Database
from tests.bot.services.test_cases import (
    CARD,
    CONTINUITY,
    DESK,
    LADDER,
    LEAVING,
    PROFESSIONALS,
    REFERRALS,
)
from tests.conftest import TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PARENT = Subject("telegram", 4242)
ENABLED = ["nl", "en", "ar", "tr"]
VAULT = IdentityVault(TEST_SECRET_KEY)
KEY = VAULT.subject_hash("telegram", 4242)


@pytest.fixture(scope="module")
def library() -> FlowLibrary:
    return FlowLibrary(ROOT / "flows" / "defaults", lambda: ENABLED, frozenset({"ar"}))


@pytest.fixture
def reception(library: FlowLibrary) -> Reception:
    conversations = Conversations(
        VAULT, library, ButtonTokens(VAULT.key("buttons")), DESK, REFERRALS
    )
    return Reception(
        VAULT,
        Catalogs(list(LANGUAGES)),
        lambda: ENABLED,
        conversations,
        Staff(VAULT),
        DESK,
        LEAVING,
        LADDER,
        ConsoleAccess(VAULT, Console, None),
        CARD,
        REFERRALS,
        PROFESSIONALS,
        CONTINUITY,
    )


async def say(
    db: Database,
    reception: Reception,
    incoming: Any,
    hint: str | None = None,
    subject: Subject = PARENT,
) -> list[Reply]:
    async with db.transaction() as uow:
        return await reception.handle(uow, subject, incoming, NOW, language_hint=hint)


def button(replies: list[Reply], label: str) -> str:
    return next(c.action for r in replies for c in r.all_choices if c.label == label)


async def test_first_start_shows_the_picker_preselecting_the_hint(
    database: Database, reception: Reception
) -> None:
    [picker] = await say(database, reception, Command("start"), hint="tr")
    assert picker.text.startswith("Hangi dilde")
    assert [c.label for c in picker.all_choices] == ["Nederlands", "English", "العربية", "✓ Türkçe"]


async def test_choosing_a_language_starts_the_welcome(
    database: Database, reception: Reception
) -> None:
    replies = await say(database, reception, Pick("lang:nl"), hint="en")
    assert replies[0].text.startswith("Welkom. We vragen je naam niet")  # no more to read
    assert replies[-1].all_choices[0].label == "💬 Een vraag stellen"
    again = await say(database, reception, Command("start"))
    assert [r.text for r in again] == ["Fijn dat je er weer bent.", "Wat wil je doen?"]


async def test_the_question_flow_opens_a_case_with_sealed_answers(
    database: Database, reception: Reception
) -> None:
    menu = await say(database, reception, Pick("lang:nl"))
    topics = await say(database, reception, Pick(button(menu, "💬 Een vraag stellen")))
    await say(database, reception, Pick(button(topics, "🏫 School")))
    preference = await say(database, reception, Media("voice", "voice-file-7"))
    next_ = await say(database, reception, Text("maakt niet uit"))  # typed label = button
    consent = await say(database, reception, Pick(button(next_, "🗣️ Praten met iemand")))
    done = await say(database, reception, Pick(button(consent, "✅ Ja, geef door")))
    assert preference[0].text.startswith("Praat je liever met een vrouw")
    assert done[0].text.startswith("Dank je. We hebben je vraag doorgegeven")
    async with database.transaction() as uow:
        parent = await uow.parents.find(KEY)
        assert parent is not None
        [case] = await uow.cases.of_parent(parent.id)
    answers = json.loads(VAULT.open(case.sealed_answers))
    assert answers == {"topic": "school", "question": {"voice": "voice-file-7"}, "gender": "any"}
    assert case.topic == "school" and not case.urgent and "voice-file-7" not in case.sealed_answers


async def test_forged_and_old_buttons(database: Database, reception: Reception) -> None:
    menu = await say(database, reception, Pick("lang:nl"))
    ask = button(menu, "💬 Een vraag stellen")
    forged = ask[:-2] + ("AA" if not ask.endswith("AA") else "BB")
    refused = await say(database, reception, Pick(forged))
    assert refused[0].text == "Die knop werkt niet meer."
    assert refused[-1].text == "Wat wil je doen?"  # the current question again
    await say(database, reception, Pick(ask))
    old = await say(database, reception, Pick(button(menu, "ℹ️ Uitleg over hulp")))
    assert old[0].text.startswith("Die knop hoort bij een eerdere vraag")
    assert old[-1].text.startswith("Waar gaat je vraag over?")  # still the topic question


async def test_stop_and_write_again(database: Database, reception: Reception) -> None:
    await say(database, reception, Pick("lang:nl"))
    async with database.transaction() as uow:
        await uow.tasks.schedule("flow.follow_up", NOW, NOW, subject=KEY)
    [stopped] = await say(database, reception, Text("Stoppen"))  # a plain word works too
    assert stopped.text.startswith("We sturen je geen berichten meer")
    async with database.transaction() as uow:
        parent = await uow.parents.find(KEY)
        assert parent is not None and parent.stopped_at is not None
        assert await uow.tasks.counts() == {"cancelled": 1}
    await say(database, reception, Command("help"))
    async with database.transaction() as uow:
        parent = await uow.parents.find(KEY)
        assert parent is not None and parent.stopped_at is None


async def test_forget_erases_the_parent(database: Database, reception: Reception) -> None:
    await say(database, reception, Pick("lang:nl"))
    [question] = await say(database, reception, Command("forget"))
    assert len(question.all_choices) == 2
    [gone] = await say(database, reception, Pick(FORGET_YES))
    assert gone.leave_no_trace and gone.text.startswith("Alles is gewist")
    async with database.transaction() as uow:
        assert await uow.parents.find(KEY) is None
        assert await uow.conversations.get(1) is None


async def test_a_forged_language_shows_the_picker_again(
    database: Database, reception: Reception
) -> None:
    sorry, picker = await say(database, reception, Pick("lang:xx"))
    assert sorry.text == "Die keuze is er niet meer." and len(picker.all_choices) == len(ENABLED)
