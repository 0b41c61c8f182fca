"""Continuity over the local Bot API, on a clock the test moves (#17): a family comes back
and continues with the VP who helped them, who is offered the new question first and sees
the earlier one's notes; a handover and a deactivation each bring the next VP the
conversation so far before anything new; a VP going away with a return date hands over as
chosen, and is available again on that day.
"""

from __future__ import annotations

import io
import random
import string
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.services.clock import ManualClock
from storage.people import Profile
from tests.bot.services.test_cases import CATALOGS
from tests.bot.test_privacy_at_rest import dump, production_log  # noqa: F401  (a fixture)
from tests.botapi import FakeBotApi, FakeUser
from tests.handlers.test_case_notes_over_http import ask_in_words
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import invite, join
from tests.handlers.test_referral_over_http import press_labelled
from tests.live import live_bot, migrated, settings_for

NL = CATALOGS.translator("nl")  # staff who chose no language read Dutch
START = datetime(2026, 11, 30, 9, tzinfo=UTC)  # Monday 10:00 in Amsterdam


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def _random(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


async def accept(vp: FakeUser) -> str:
    """The VP accepts the offer that came; returns its alias."""
    [offer] = await vp.wait_for(1)
    await vp.press(buttons(offer)[0]["callback_data"])
    return str(offer["text"].split("\n")[0].split()[-1])


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text", "") for m in messages]


async def test_a_family_continues_and_each_successor_reads_the_conversation_first(
    api: FakeBotApi,
    database_url: str,
    production_log: io.StringIO,  # noqa: F811
) -> None:
    url = await migrated(database_url)
    clock = ManualClock(START)
    rng = random.Random()
    note = f"Moeder werkt 's avonds {_random(rng, 8)}"
    before = f"Zullen we donderdag bellen {_random(rng, 6)}?"
    answer = f"Ja graag, na drie uur {_random(rng, 6)}"
    parent = api.user(8901, language_code="nl")
    amina, noor, sara = (api.user(n, language_code="nl") for n in (8902, 8903, 8904))
    coordinator = api.user(8905, language_code="nl")
    async with live_bot(settings_for(api, url), clock):
        await join(coordinator, await invite(url, Profile("coordinator", "Sanne de Vries")))
        await join(amina, await invite(url, Profile("vp", "Amina E", ("nl",), "f")))
        await ask_in_words(parent, "Mijn zoon wil niet meer naar school.")
        first = await accept(amina)
        await amina.wait_for(2)
        await parent.wait_for(1)
        await amina.send_text("Dag, ik ben Amina.")
        await parent.wait_for(1)
        await amina.send_text(f"/note {first} {note}")
        await amina.wait_for(1)
        await amina.send_text(f"/close {first}")
        [outcomes] = await amina.wait_for(1)
        await amina.press(press_labelled(outcomes, NL.gettext("Helped")))
        await amina.wait_for(1)
        await parent.wait_for(1)
        await join(noor, await invite(url, Profile("vp", "Noor B", ("nl",), "f")))

        # the family comes back and continues with Amina: she is offered it, not Noor
        await parent.send_text("Er is weer iets met school, wat moet ik doen?")
        [again] = await parent.wait_for(1)
        await parent.press(press_labelled(again, "Amina"))
        [asked] = await parent.wait_for(1)
        second = await accept(amina)
        await amina.wait_for(2)  # you accepted …, the question
        await parent.wait_for(1)
        await amina.send_text(f"/case {second}")
        card = await amina.wait_for(5)  # head, question, its notes, the earlier one, its notes

        # a conversation, then a handover to Noor with a note
        await amina.send_text(before)
        await parent.wait_for(1)
        await parent.send_text(answer)
        await amina.wait_for(1)
        await amina.send_text(f"/handover {second} Moeder vindt Noor fijn")
        [colleagues] = await amina.wait_for(1)
        await amina.press(press_labelled(colleagues, "Noor"))
        await amina.wait_for(1)
        [handover_offer] = await noor.wait_for(1)
        await noor.press(buttons(handover_offer)[0]["callback_data"])  # accept
        noor_intro, _, noor_so_far = await noor.wait_for(3)
        await amina.wait_for(1)  # Noor accepted
        [new_vp] = await parent.wait_for(1)
        await parent.send_text("Hallo Noor")
        [first_new] = await noor.wait_for(1)

        # Noor is deactivated: Sara gets it, and reads the conversation first
        await join(sara, await invite(url, Profile("vp", "Sara K", ("nl",), "f")))
        await noor.send_text("Dag! Ik ben Noor.")
        await parent.wait_for(1)
        await coordinator.send_text("/vps")
        [vps] = await coordinator.wait_for(1)
        noor_number = next(
            line.split(".")[0].strip() for line in vps["text"].splitlines() if "Noor" in line
        )
        await coordinator.send_text(f"/deactivate {noor_number}")
        await coordinator.wait_for(1)
        await parent.wait_for(1)  # someone else is being found
        sara_alias = await accept(sara)
        _, _, sara_so_far = await sara.wait_for(3)
        await parent.wait_for(1)

        # Sara goes away until Thursday and hands her question to Amina
        await sara.send_text("/away 3-12")
        away, what_now = await sara.wait_for(2)
        await sara.press(press_labelled(what_now, NL.gettext("Hand them to a colleague")))
        [choose] = await sara.wait_for(1)
        await sara.press(press_labelled(choose, "Amina"))
        await sara.wait_for(1)
        [back_to_amina] = await amina.wait_for(1)
        await amina.press(buttons(back_to_amina)[0]["callback_data"])
        amina_again = await amina.wait_for(3)
        [handed] = await sara.wait_for(1)  # Amina accepted
        while_kept, counts = await dump(url)
        clock.advance(timedelta(days=3))  # Thursday 10:00: past the 08:00 return
        [welcome_back] = await sara.wait_for(1, timeout=10)

    assert asked["text"] and "Amina" in asked["text"]
    earlier = NL.gettext("Earlier question of this family: {alias} – {topic}, {outcome}")
    head = earlier.split("{")[0]
    assert any(t.startswith(head) and first in t for t in texts(card))
    assert any(note in t for t in texts(card))  # the earlier question's note
    # the handover: the note on the offer, then the question and the conversation so far
    assert "Moeder vindt Noor fijn" in handover_offer["text"]
    assert second in noor_intro["text"] and noor_so_far["has_protected_content"]
    assert before in noor_so_far["text"] and answer in noor_so_far["text"]
    assert "Noor" in new_vp["text"]
    assert first_new["text"].endswith("Hallo Noor")  # after the conversation so far
    # the deactivation: Sara reads it all before anything new, Noor's words too
    assert sara_alias == second
    for said in (before, answer, "Hallo Noor", "Dag! Ik ben Noor."):
        assert said in sara_so_far["text"]
    assert sara_so_far["has_protected_content"]
    # away until Thursday, handed to Amina as chosen; back on Thursday
    assert "donderdag 3 december" in away["text"]
    assert second in back_to_amina["text"] and "donderdag 3 december" in back_to_amina["text"]
    assert any("Hallo Noor" in t for t in texts(amina_again)) and "Amina" in handed["text"]
    # all of it sealed at rest, and never in the log
    assert counts["case_message"] >= 5 and counts["handover"] == 2
    logs = production_log.getvalue()
    for secret in (note, before, answer, "Moeder vindt Noor fijn", "Hallo Noor"):
        assert secret not in while_kept and secret not in logs
    assert welcome_back["text"] == NL.gettext(
        "Welcome back: new questions are offered to you again."
    )
