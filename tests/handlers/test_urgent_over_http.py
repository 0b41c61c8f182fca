"""The urgent path over the local Bot API, on a clock the test moves: a Ukrainian parent in
danger when no VP speaks Ukrainian. The coordinators get the assign buttons at once, marked
with the language problem; at 48 hours the parent hears that we are still looking (with the
emergency numbers again), and the coordinators' alert repeats every `breach_repeat`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.services import staff_words as words
from bot.services.clock import ManualClock
from flows.steps.emergency import CONTEXT as EMERGENCY_CONTEXT
from flows.steps.emergency import TEXT as EMERGENCY_TEXT
from storage import Database
from storage.people import Profile
from storage.records import Case
from tests.bot.services.test_cases import CATALOGS
from tests.botapi import FakeBotApi, FakeUser
from tests.handlers.test_flows_over_http import buttons, press_index
from tests.handlers.test_handoff_over_http import invite, join
from tests.live import live_bot, migrated, settings_for

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def in_danger(parent: FakeUser) -> None:
    """/start in Ukrainian, "someone is in danger", yes urgently, skip both questions."""
    await parent.send_text("/start")
    await parent.wait_for(1)
    await parent.press("lang:uk")
    await parent.wait_for(3)  # the short welcome: hello (2), menu
    await press_index(parent, 2)  # someone is in danger
    await parent.wait_for(2)  # the emergency numbers, then: a VP urgently too?
    await press_index(parent, 0)  # yes, urgently
    await parent.wait_for(1)  # what is going on? (skippable)
    await press_index(parent, 0)  # skip
    await parent.wait_for(1)  # a safe time? (skippable)
    await press_index(parent, 0)  # skip
    await parent.wait_for(2)  # passed on; and: looking for someone who speaks Ukrainian


async def test_no_vp_speaks_ukrainian_buttons_at_once_and_the_breach_is_heard(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    clock = ManualClock(START)
    vp_code = await invite(url, Profile("vp", "Hatice Yilmaz", ("nl", "tr"), "f"))
    coordinator_code = await invite(url, Profile("coordinator", "Sanne de Vries"))
    async with live_bot(settings_for(api, url), clock):
        vp, coordinator = api.user(501), api.user(502)
        await join(vp, vp_code)
        await join(coordinator, coordinator_code)
        parent = api.user(503, language_code="uk")
        await in_danger(parent)
        # Within a minute (the next task tick), without moving the clock 24 hours.
        nl = CATALOGS.translator("nl")
        marked = nl.gettext("Nobody speaks {language}.").format(language=words.language(nl, "uk"))
        [asked] = await coordinator.wait_for(
            1, timeout=60, predicate=lambda m: bool(buttons(m)) and marked in m["text"]
        )
        assert [b["callback_data"].split(":")[0] for b in buttons(asked)] == ["assign"]
        assert "Hatice Yilmaz" in buttons(asked)[0]["text"]
        assert not re.search(r"\buk\b", asked["text"])  # the language as a word, no code
        # 48 hours on, nobody in contact: the parent hears, in Ukrainian; the alert repeats.
        clock.advance(timedelta(hours=48, minutes=1))
        uk = CATALOGS.translator("uk")
        sorry = uk.gettext(
            "We are sorry: we have not yet found a vertrouwenspersoon for your urgent "
            "question. We are still looking, and a coordinator is now helping. "
            "If someone is in danger now, please call:"
        )
        told = await parent.wait_for(2, timeout=30)
        assert [m["text"] for m in told] == [
            sorry,
            uk.pgettext(EMERGENCY_CONTEXT, EMERGENCY_TEXT),
        ]
        breach = nl.gettext(
            "BREACH: urgent question {alias} has no vertrouwenspersoon in contact after "
            "{hours}. Please act now: /case {alias}"
        ).split("{alias}")[0]
        await coordinator.wait_for(1, timeout=30, predicate=lambda m: breach in m["text"])
        clock.advance(timedelta(hours=4))
        await coordinator.wait_for(1, timeout=30, predicate=lambda m: breach in m["text"])
        assert not await parent.wait_for(0, timeout=0.5)  # the parent hears it once


async def the_case(url: str) -> tuple[Case, list[str]]:
    """The only case, and the kinds of its history."""
    database = Database(url)
    try:
        async with database.transaction() as uow:
            [case] = await uow.cases.urgent_since(START - timedelta(days=1))
            kinds = [kind for kind, _ in await uow.cases.history(case.id)]
    finally:
        await database.dispose()
    return case, kinds


def with_data(prefix: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: any(b["callback_data"].startswith(prefix) for b in buttons(m))


def button(message: dict[str, Any], prefix: str, containing: str = "") -> str:
    return next(
        b["callback_data"]
        for b in buttons(message)
        if b["callback_data"].startswith(prefix) and containing in b["text"]
    )


async def test_across_languages_the_coordinator_confirms_and_contact_waits_for_a_duo_partner(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    clock = ManualClock(START)
    hatice_code = await invite(url, Profile("vp", "Hatice Yilmaz", ("nl", "tr"), "f"))
    coordinator_code = await invite(url, Profile("coordinator", "Sanne de Vries"))
    olena_code = await invite(url, Profile("vp", "Olena Koval", ("uk", "nl"), "f"))
    async with live_bot(settings_for(api, url), clock):
        hatice, coordinator, olena = api.user(601), api.user(602), api.user(604)
        await join(hatice, hatice_code)
        await join(coordinator, coordinator_code)
        parent = api.user(603, language_code="uk")
        await in_danger(parent)
        [asked] = await coordinator.wait_for(1, timeout=60, predicate=with_data("assign:"))
        await coordinator.press(button(asked, "assign:", "Hatice"))
        [confirm] = await coordinator.wait_for(1, predicate=with_data("assign:"))
        case, _ = await the_case(url)
        assert case.vp_id is None  # only a question so far
        assert "/duo" in confirm["text"]
        await coordinator.press(button(confirm, "assign:"))
        given = await hatice.wait_for(2)  # "a coordinator gave you …", and what was said
        nl = CATALOGS.translator("nl")
        facts = given[0]["text"]  # in words: language, topic, urgency and the time left
        assert words.language(nl, "uk") in facts and words.topic(nl, "safety") in facts
        assert nl.gettext("urgent, within {duration}").format(duration="") in facts
        await parent.wait_for(1)  # someone has your question
        await hatice.send_text("Hallo, ik spreek helaas geen Oekraïens.")
        await parent.wait_for(1)
        case, _ = await the_case(url)
        assert (case.status, case.first_contact_at) == ("accepted", None)
        # A colleague who speaks Ukrainian joins with the parent's consent: now it counts.
        await join(olena, olena_code)
        await hatice.send_text("/duo")
        [choose] = await hatice.wait_for(1, predicate=with_data("duo:"))
        await hatice.press(button(choose, "duo:", "Olena"))
        [consent] = await parent.wait_for(1, predicate=lambda m: bool(buttons(m)))
        await press_index(parent, 0)  # yes, that is fine
        await parent.wait_for(1)  # thank you, Olena has joined
        await olena.wait_for(2)  # brought in, and the question
        await hatice.send_text("Olena vertaalt voor ons.")
        [relayed] = await parent.wait_for(1)
        assert relayed["text"].endswith("Olena vertaalt voor ons.")
        case, kinds = await the_case(url)
    assert consent and case.status == "in_contact" and case.first_contact_at == START
    assert kinds.count("in_contact") == 1


async def test_a_vp_who_blocks_before_contact_leaves_the_clock_running_and_it_breaches_once(
    api: FakeBotApi, database_url: str
) -> None:
    url = await migrated(database_url)
    clock = ManualClock(START)
    amina_code = await invite(url, Profile("vp", "Amina El Idrissi", ("ar",), "f"))
    coordinator_code = await invite(url, Profile("coordinator", "Sanne de Vries"))
    hatice_code = await invite(url, Profile("vp", "Hatice Yilmaz", ("nl", "tr"), "f"))
    described = "زوجي غاضب جدا الليلة"
    async with live_bot(settings_for(api, url), clock):
        amina, coordinator = api.user(701), api.user(702)
        await join(amina, amina_code)
        await join(coordinator, coordinator_code)
        await join(api.user(704), hatice_code)
        parent = api.user(703, language_code="ar")
        await parent.send_text("/start")
        await parent.wait_for(1)
        await parent.press("lang:ar")
        await parent.wait_for(3)  # the short welcome: hello (2), menu
        await press_index(parent, 2)  # someone is in danger
        await parent.wait_for(2)
        await press_index(parent, 0)  # yes, urgently
        await parent.wait_for(1)
        await parent.send_text(described)  # what is going on
        await parent.wait_for(1)
        await press_index(parent, 0)  # no safe time: skip
        [offer] = await amina.wait_for(1, timeout=30, predicate=with_data("offer:"))
        assert described not in offer["text"]  # the offer never shows it
        await amina.press(button(offer, "offer:"))
        accepted = await amina.wait_for(2)
        assert described in [m.get("text") for m in accepted]  # after Accept: the words
        await amina.send_text("/block")
        [ask] = await amina.wait_for(1, predicate=with_data("block:"))
        await amina.press(buttons(ask)[0]["callback_data"])
        await amina.wait_for(1)
        # Nobody else speaks Arabic: the coordinators are asked at once, without Amina.
        [asked] = await coordinator.wait_for(1, timeout=60, predicate=with_data("assign:"))
        assert "Amina" not in repr(buttons(asked)) and "Hatice" in repr(buttons(asked))
        case, _ = await the_case(url)
        assert case.status in ("waiting", "offered") and case.closed_at is None
        clock.advance(timedelta(hours=48, minutes=1))
        nl = CATALOGS.translator("nl")
        breach = nl.gettext(
            "BREACH: urgent question {alias} has no vertrouwenspersoon in contact after "
            "{hours}. Please act now: /case {alias}"
        ).split("{alias}")[0]
        await coordinator.wait_for(1, timeout=30, predicate=lambda m: breach in m["text"])
        case, kinds = await the_case(url)
    assert case.breached_at is not None and kinds.count("breach") == 1
