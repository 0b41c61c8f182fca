"""Staff in their own language, over HTTP: a VP and a coordinator who chose Turkish with
/language read the offer, /cases and /case in Turkish, with words and never codes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.services import staff_words as words
from bot.services.staff import LANGUAGE_ACTION
from storage import Database
from storage.people import Profile
from tests.bot.services.test_cases import CATALOGS
from tests.bot.test_staff_catalogs import CODES
from tests.botapi import FakeBotApi, FakeUser
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import ask_to_talk, invite, join
from tests.live import live_bot, migrated, settings_for

CODE = re.compile(r"(?<![\w{/])(" + "|".join(CODES) + r"|tr|nl)(?![\w}])")


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def choose_turkish(user: FakeUser) -> None:
    await user.send_text("/language")
    await user.wait_for(1)
    await user.press(LANGUAGE_ACTION + "tr")
    await user.wait_for(1)


async def test_a_vp_and_a_coordinator_set_to_turkish_read_turkish(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    parent = api.user(8301, language_code="tr")
    vp, coordinator = api.user(8302, language_code="nl"), api.user(8303, language_code="nl")
    tr = CATALOGS.translator("tr")
    async with live_bot(settings_for(api, url)):
        await join(vp, await invite(url, Profile("vp", "Hatice Yilmaz", ("tr", "nl"), "f")))
        await join(coordinator, await invite(url, Profile("coordinator", "Sanne de Vries")))
        await choose_turkish(vp)
        await choose_turkish(coordinator)
        await ask_to_talk(parent, "tr")
        [offer] = await vp.wait_for(1)
        await vp.press(buttons(offer)[0]["callback_data"])  # Accept
        await vp.wait_for(2)  # the intro and the parent's voice message
        await vp.send_text("/cases")
        [cases] = await vp.wait_for(1)
        database = Database(url)
        try:
            async with database.transaction() as uow:
                [person] = await uow.people.vps()
                [case] = await uow.cases.of_member(person.id)
        finally:
            await database.dispose()
        await coordinator.send_text(f"/case {case.alias}")
        [history] = await coordinator.wait_for(1)
    assert person.language == "tr"
    # the offer: language, topic and urgency in Turkish words
    assert offer["text"].startswith(tr.gettext("New question {alias}").format(alias=case.alias))
    assert words.facts(tr, case, timedelta(hours=48), case.created_at) in offer["text"]
    assert tr.gettext("You see the question itself after you accept.") in offer["text"]
    # /cases: the case as a line of Turkish words
    assert tr.gettext("Your open questions:") in cases["text"]
    assert (
        f"{case.alias} – {words.language(tr, 'tr')}, {words.topic(tr, 'school')}" in cases["text"]
    )
    # /case: the head line and the history, VPs by number and display name
    hatice = f"VP {person.id} (Hatice)"
    opened = tr.gettext("Opened: {language}, {urgency}.").format(
        language=words.language(tr, "tr"), urgency=words.urgency(tr, False)
    )
    accepted = tr.gettext("{vp} accepted.").format(vp=hatice)
    assert opened in history["text"] and accepted in history["text"]
    offered = tr.gettext(
        "Offered to {vp}: speaks {language}, has {open} of {capacity} questions."
    ).format(vp=hatice, language=words.language(tr, "tr"), open=0, capacity=3)
    assert offered in history["text"]
    for text in (offer["text"], history["text"], cases["text"]):
        assert not CODE.search(text.replace(case.alias, "")), text
