"""A case's page tells the coordinator how many notes the VPs keep on it, never what they say;
the audit log names the VP's /case and /note in words."""

from __future__ import annotations

from playwright.async_api import Page

from console.audit import ACTIONS
from storage.people import Profile
from tests.console.conftest import ConsoleBot
from tests.console.test_board_and_case import W
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import ask_to_talk

NOTE = "Vader werkt in ploegendienst, bellen kan op dinsdag"


async def test_the_case_page_counts_the_notes_and_shows_none(
    console_bot: ConsoleBot, page: Page
) -> None:
    amina = console_bot.api.user(9201, "Amina", language_code="nl")
    await console_bot.invite(amina, Profile("vp", "Amina El Idrissi", ("ar",), "f"))
    parent = console_bot.api.user(9202, "Ouder", language_code="ar")
    await ask_to_talk(parent, "ar")
    [offer] = await amina.wait_for(1)
    await amina.press(buttons(offer)[0]["callback_data"])  # Accept
    await amina.wait_for(2)
    [(alias,)] = await console_bot.query("SELECT alias FROM cases")
    await console_bot.log_in(page)

    await page.goto(f"{console_bot.base}/console/cases/{alias}")
    notes = page.locator("dt", has_text=W.gettext("Notes by the VPs")).locator("+ dd")
    assert await notes.inner_text() == W.gettext("none")

    for text in (NOTE, "Tweede notitie"):
        await amina.send_text(f"/note {alias} {text}")
        await amina.wait_for(1)
    await page.reload()
    count = W.ngettext(
        "{n} note, read only by the VPs on the case",
        "{n} notes, read only by the VPs on the case",
        2,
    ).format(n=2)
    assert await notes.inner_text() == count
    html = await page.content()
    assert NOTE not in html and "Tweede" not in html

    await page.goto(f"{console_bot.base}/console/audit?alias={alias}")
    audit = await page.inner_text("main")
    assert W.gettext(ACTIONS["note"]) in audit and NOTE not in audit
