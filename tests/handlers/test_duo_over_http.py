"""Duo with a professional over the local Bot API (#17): an Arabic parent is asked in Arabic,
with the organisation named, before a professional of the CJG joins their conversation. The
professional sees nothing from before the consent and nothing that identifies the parent
(their random id, name and username are checked over everything the professional received);
their messages are in the audit log without their text; the parent ends the duo with a plain
word and the professional can write no more. A professional has no commands and reaches no
other case.
"""

from __future__ import annotations

import io
import random
import string
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.professionals import ALONE
from storage.people import Profile
from tests.bot.services.test_cases import CATALOGS
from tests.bot.test_privacy_at_rest import dump, production_log  # noqa: F401  (a fixture)
from tests.botapi import FakeBotApi
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import ask_to_talk, everything, invite, join
from tests.handlers.test_referral_over_http import press_labelled, with_partners
from tests.live import live_bot, migrated, settings_for

NL, AR = CATALOGS.translator("nl"), CATALOGS.translator("ar")
RLM = "\u200f"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def _random(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


async def query(url: str, statement: str) -> list[tuple[object, ...]]:
    from sqlalchemy import text

    from storage import Database

    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            return [tuple(row) for row in (await connection.execute(text(statement))).all()]
    finally:
        await database.dispose()


async def test_a_professional_joins_only_with_consent_and_leaves_at_a_word(
    api: FakeBotApi,
    database_url: str,
    tmp_path: Path,
    production_log: io.StringIO,  # noqa: F811
) -> None:
    url = await migrated(database_url)
    rng = random.Random()
    first_name, username = _random(rng, 9).title(), "u" + _random(rng, 10)
    parent_id = rng.randrange(1_000_000_000, 9_999_999_999)
    before = f"Voor de toestemming {_random(rng, 12)}"
    after = f"Na de toestemming {_random(rng, 12)}"
    summary = f"Moeder van twee; school betrokken {_random(rng, 8)}"
    parent = api.user(parent_id, first_name, username=username, language_code="ar")
    amina = api.user(8801, language_code="nl")
    jan = api.user(8802, "Jan", language_code="nl")
    other_parent = api.user(8803, language_code="nl")
    noor = api.user(8804, language_code="nl")
    flows = with_partners(tmp_path / "flows")
    async with live_bot(settings_for(api, url, flows_dir=flows)):
        await join(amina, await invite(url, Profile("vp", "Amina E", ("ar",), "f")))
        await join(noor, await invite(url, Profile("vp", "Noor B", ("nl",), "f")))
        await jan.send_text(
            "/start "
            + await invite(url, Profile("partner", "Jan Bakker", partner_id="cjg_zuidoost"))
        )
        [registered] = await jan.wait_for(1)
        # another family's case, with Noor: the professional never reaches it
        await ask_to_talk(other_parent, "nl")
        [other_offer] = await noor.wait_for(1)
        await noor.press(buttons(other_offer)[0]["callback_data"])
        await noor.wait_for(2)

        await ask_to_talk(parent, "ar")
        [offer] = await amina.wait_for(1)
        alias = offer["text"].split("\n")[0].split()[-1]
        await amina.press(buttons(offer)[0]["callback_data"])  # Accept
        await amina.wait_for(2)
        await parent.wait_for(1)
        await parent.send_text(before)
        await amina.wait_for(1)
        await amina.send_text("مرحبا، أنا أمينة.")
        await parent.wait_for(1)

        # Amina proposes Jan; the parent is asked in Arabic, the organisation named
        await amina.send_text(f"/duo {alias}")
        [choice] = await amina.wait_for(1)
        await amina.press(press_labelled(choice, "Jan (CJG Zuidoost)"))
        [asked_note] = await amina.wait_for(1)
        [consent] = await parent.wait_for(1)
        assert len(jan.received) == 1  # only his welcome: nothing before the parent's yes
        await parent.press(buttons(consent)[0]["callback_data"])  # yes
        [joined] = await parent.wait_for(1)
        [intro] = await jan.wait_for(1)
        [agreed] = await amina.wait_for(1)
        await amina.send_text(f"/summary {alias} {summary}")
        [summary_sent] = await amina.wait_for(1)
        [summary_got] = await jan.wait_for(1)

        # from now on Jan reads and writes as "Jan (CJG Zuidoost)"
        await parent.send_text(after)
        [copy_to_jan] = await jan.wait_for(1)
        await amina.wait_for(1)
        await jan.send_text("Goedendag, ik ben Jan van het CJG.")
        [from_jan] = await parent.wait_for(1)
        [jan_to_amina] = await amina.wait_for(1)

        # the parent shares their first name: with Amina, never with the professional
        await parent.send_text(f"/share {first_name}")
        [share] = await parent.wait_for(1)
        await parent.press(buttons(share)[0]["callback_data"])
        await parent.wait_for(1)
        [revealed] = await amina.wait_for(1)

        # no commands, no other case
        for command in ("/case " + alias, "/note " + alias + " x", "/cases", "/close"):
            await jan.send_text(command)
        helps = await jan.wait_for(4)

        # the parent ends it with a plain word, in Arabic
        word = AR.pgettext("control words", ALONE).split("|")[0]
        await parent.send_text(word)
        [ended] = await parent.wait_for(1)
        [gone] = await jan.wait_for(1)
        [told] = await amina.wait_for(1)
        await jan.send_text("Nog een vraag?")
        [refused] = await jan.wait_for(1)
        seen_before_thanks = len(jan.received)
        await parent.send_text("وشكرا")
        await amina.wait_for(1)
        assert len(jan.received) == seen_before_thanks  # the relay no longer reaches him
        while_kept, counts = await dump(url)
        person = await query(url, "SELECT id FROM person WHERE role = 'partner'")
        wrote = await query(
            url, f"SELECT action FROM case_access WHERE person_id = {person[0][0]} ORDER BY id"
        )
        audit_text = repr(await query(url, "SELECT * FROM case_access")) + repr(
            await query(url, "SELECT * FROM staff_audit")
        )

    assert "CJG Zuidoost" in registered["text"]
    assert first_name in revealed["text"] and len(buttons(share)) == 2  # Amina, or nobody
    assert NL.gettext("We asked the parent. You will hear their answer here.") == asked_note["text"]
    # the consent question: in Arabic, right to left, naming the organisation and what Jan sees
    expected = AR.vpgettext(
        "f",
        "{name} would like to bring in {professional} of {organisation} to help with your "
        "question.",
    ).format(name="Amina", professional="Jan", organisation="CJG Zuidoost")
    assert consent["text"].startswith(RLM) and expected in consent["text"]
    sees = AR.gettext(
        "They would read and write in this conversation from now on, and read a short "
        "summary that {name} writes for them. They never see your name or number. You "
        "choose whether they may also read what was written here before."
    )
    assert sees.format(name="Amina") in consent["text"]
    assert [b["text"].lstrip(RLM) for b in buttons(consent)] == [
        AR.gettext("Yes, from now on"),
        AR.gettext("Yes, also what came before"),
        AR.gettext("No, rather not"),
    ]
    assert buttons(joined) and word.upper() in joined["text"]
    assert alias in intro["text"] and "Amina" in intro["text"]
    assert alias in agreed["text"] and f"/summary {alias}" in agreed["text"]
    assert summary in summary_got["text"] and summary_got["has_protected_content"]
    assert summary_sent["text"] == NL.gettext("The summary was sent.")
    assert copy_to_jan["text"].split("\n")[0] == f"{alias} ▸"
    assert copy_to_jan["text"].endswith(after) and copy_to_jan["has_protected_content"]
    assert from_jan["text"].endswith("Goedendag, ik ben Jan van het CJG.")
    assert "Jan (CJG Zuidoost):" in from_jan["text"]
    assert "Jan (CJG Zuidoost)" in jan_to_amina["text"]
    assert len({h["text"] for h in helps}) == 1 and alias not in helps[0]["text"]
    assert ended["text"].startswith(RLM) and "Jan (CJG Zuidoost)" in ended["text"]
    assert alias in gone["text"] and alias in told["text"]
    assert refused["text"] == NL.gettext("You have no open conversation with a parent.")
    # nothing of the parent's identity, nothing from before the consent, no other family
    seen = everything(jan, api)
    other_alias = other_offer["text"].split("\n")[0].split()[-1]
    for secret in (str(parent_id), first_name, username, before, other_alias):
        assert secret not in seen
    # the audit log: that Jan wrote, and when; never what
    assert ("wrote",) in wrote
    assert "Goedendag" not in audit_text
    # the summary and the conversation: sealed at rest, never in the log
    assert counts["case_professional"] == 1 and counts["case_message"] >= 4
    for secret in (summary, before, after, "Goedendag", first_name):
        assert secret not in while_kept and secret not in production_log.getvalue()
