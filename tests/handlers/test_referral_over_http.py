"""Referral as a stage, the whole journey over the local Bot API on a clock the test moves
(#17): a parent asks; Amina accepts, writes, and refers to the CJG with an appointment; the
parent's question after the referral still reaches her; the day after the appointment the
parent is asked, silently and naming nobody on the first line, and says it is stuck; Amina
gets the mediation, records two steps, asks again; the parent says it helps; she closes the
case as helped. The partner's figures read 1 referral, 1 stalled, 1 mediated, 1 helped.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.clock import ManualClock
from bot.settings import DEFAULT_FLOWS_DIR
from storage import Database
from storage.people import Profile
from tests.bot.services.test_cases import CATALOGS
from tests.bot.test_privacy_at_rest import dump, production_log  # noqa: F401  (a fixture)
from tests.botapi import FakeBotApi
from tests.handlers.test_case_notes_over_http import ask_in_words
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import invite, join
from tests.live import live_bot, migrated, settings_for

NL = CATALOGS.translator("nl")  # the VPs have not chosen a language: Dutch
# Monday 30 November 2026, 10:00 in Amsterdam
START = datetime(2026, 11, 30, 9, tzinfo=UTC)
PARTNERS = """partners:
  - id: cjg_zuidoost
    name: CJG Zuidoost
    kind: cjg
    languages: [nl, ar]
    contact:
      phone: "+31 20 000 0001"
    contact_person: Fatima
  - id: wijkteam_noord
    name: Wijkteam Noord
    kind: wijkteam"""


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def with_partners(folder: Path) -> Path:
    """The shipped flows and settings, with two partners on the map."""
    shutil.copytree(DEFAULT_FLOWS_DIR, folder)
    settings = folder / "settings.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("partners: []", PARTNERS), encoding="utf-8"
    )
    return folder


def press_labelled(message: dict[str, object], label: str) -> str:
    return next(b["callback_data"] for b in buttons(message) if label in b["text"])


async def totals(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        async with database.transaction() as uow:
            rows = await uow.referrals.figures()
    finally:
        await database.dispose()
    return {
        key: sum(int(row[key]) for row in rows if row["partner_id"] == "cjg_zuidoost")
        for key in ("referrals", "reached", "helped", "stalled", "mediated")
    }


STEP = "CJG gebeld: intake was kwijt, nieuwe op maandag."


async def test_a_referral_is_followed_until_care_works(
    api: FakeBotApi,
    database_url: str,
    tmp_path: Path,
    production_log: io.StringIO,  # noqa: F811
) -> None:
    url = await migrated(database_url)
    clock = ManualClock(START)
    flows = with_partners(tmp_path / "flows")
    parent = api.user(8701, language_code="nl")
    amina = api.user(8702, language_code="nl")
    async with live_bot(settings_for(api, url, flows_dir=flows), clock):
        await join(amina, await invite(url, Profile("vp", "Amina E", ("nl",), "f")))
        await ask_in_words(parent, "Mijn zoon wil niet meer naar school.")
        [offer] = await amina.wait_for(1)
        alias = offer["text"].split("\n")[0].split()[-1]
        await amina.press(buttons(offer)[0]["callback_data"])  # Accept
        await amina.wait_for(2)
        await parent.wait_for(1)
        await amina.send_text("Dag! Ik ben Amina. Het CJG kan jullie goed helpen.")
        await parent.wait_for(1)

        # refer to the CJG; the appointment typed as day-month, on Wednesday
        await amina.send_text(f"/refer {alias}")
        [partners] = await amina.wait_for(1)
        await amina.press(press_labelled(partners, "CJG Zuidoost"))
        [when] = await amina.wait_for(1)
        await amina.press(press_labelled(when, NL.gettext("I will type the date")))
        [how] = await amina.wait_for(1)
        await amina.send_text(f"/appointment {alias} 32-12")
        [wrong] = await amina.wait_for(1)
        await amina.send_text(f"/appointment {alias} 2-12")
        [referred] = await amina.wait_for(1)

        # the relay stays open: the parent's question after the referral reaches Amina
        await parent.send_text("Moet ik mijn paspoort meenemen naar het CJG?")
        [relayed] = await amina.wait_for(1)

        # the day after the appointment at 10:00: asked, silently, naming nobody at first
        clock.advance(timedelta(days=3, minutes=1))  # Thursday 3 December, 10:01
        hello, question = await parent.wait_for(2, timeout=10)
        await parent.press(buttons(question)[2]["callback_data"])  # it's stuck
        [stuck] = await parent.wait_for(1)
        [mediate] = await amina.wait_for(1)

        await amina.send_text(f"/step {alias} {STEP}")
        await amina.wait_for(1)
        await amina.send_text(f"/step {alias} Moeder gebeld, ze gaat maandag.")
        [second_step] = await amina.wait_for(1)
        await amina.press(buttons(second_step)[0]["callback_data"])  # ask the parent now
        await amina.wait_for(1)
        _, asked_again = await parent.wait_for(2, timeout=10)
        await parent.press(buttons(asked_again)[0]["callback_data"])  # yes, it helps
        await parent.wait_for(1)
        [helps] = await amina.wait_for(1)

        while_kept, counts = await dump(url)
        await amina.send_text(f"/close {alias}")
        [outcomes] = await amina.wait_for(1)
        await amina.press(press_labelled(outcomes, NL.gettext("Helped")))
        await amina.wait_for(1)
        [closing] = await parent.wait_for(1)

    assert f"/appointment {alias}" in how["text"]
    assert "32-12" in wrong["text"] and "woensdag 2 december" in referred["text"]
    assert relayed["text"].endswith("Moet ik mijn paspoort meenemen naar het CJG?")
    sent = [c for _, c in api.requests if c.get("chat_id") == parent.id and "text" in c]
    asking = [c for c in sent if c["text"] in (hello["text"], question["text"])]
    assert len(asking) == 4 and all(c.get("disable_notification") for c in asking)  # twice
    assert "CJG" not in hello["text"] and "school" not in hello["text"].lower()
    assert "CJG Zuidoost" in question["text"] and len(buttons(question)) == 3
    assert stuck["text"] and "CJG" in mediate["text"] and f"/step {alias}" in mediate["text"]
    assert "Fatima" in mediate["text"] and "+31 20 000 0001" in mediate["text"]
    assert "CJG Zuidoost" in asked_again["text"] and "CJG Zuidoost" in helps["text"]
    assert "Amina" in closing["text"]
    # the steps are sealed like notes, and neither they nor the parent's words are logged
    assert counts["case_note"] == 2 and counts["referral"] == 1 and counts["mediation"] == 1
    assert STEP not in while_kept and "paspoort" not in while_kept
    assert STEP not in production_log.getvalue() and "paspoort" not in production_log.getvalue()
    assert await totals(url) == {
        "referrals": 1,
        "reached": 1,
        "helped": 1,
        "stalled": 1,
        "mediated": 1,
    }
