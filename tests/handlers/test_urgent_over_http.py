"""The urgent path over the local Bot API, on a clock the test moves: a Ukrainian parent in
danger when no VP speaks Ukrainian. The coordinators get the assign buttons at once, marked
with the language problem; at 48 hours the parent hears that we are still looking (with the
emergency numbers again), and the coordinators' alert repeats every `breach_repeat`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.services import staff_words as words
from bot.services.clock import ManualClock
from flows.steps.emergency import CONTEXT as EMERGENCY_CONTEXT
from flows.steps.emergency import TEXT as EMERGENCY_TEXT
from storage.people import Profile
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
    await parent.wait_for(6)
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
