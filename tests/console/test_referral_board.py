"""A referred case on the console (#17): the board groups it as referred and, once care
stalls, shows it under Mediations; its page names the partner, the appointment and how many
mediation steps the VP recorded, never their text."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.async_api import Page

from storage import Database
from storage.people import Profile
from tests.console.conftest import ConsoleBot
from tests.console.test_board_and_case import W
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import ask_to_talk
from tests.handlers.test_referral_over_http import PARTNERS, press_labelled

STEP = "Intake bij het CJG was zoek geraakt, opnieuw aangevraagd"


async def with_partners(console_bot: ConsoleBot) -> None:
    """The map gets two partners, published as the Partners page would."""
    core = console_bot.telegram.core
    text = core.coordinator.text.replace("partners: []", PARTNERS)
    database = Database(console_bot.database_url)
    try:
        async with database.transaction() as uow:
            coordinator = (await uow.people.coordinators())[0]
            await core.published_settings.publish(uow, text, coordinator.id, datetime.now(UTC))
    finally:
        await database.dispose()


async def test_a_stalled_referral_is_on_the_board_and_its_page(
    console_bot: ConsoleBot, page: Page
) -> None:
    await with_partners(console_bot)
    nl = console_bot.telegram.core.catalogs.translator("nl")
    amina = console_bot.api.user(9301, "Amina", language_code="nl")
    await console_bot.invite(amina, Profile("vp", "Amina El Idrissi", ("nl",), "f"))
    parent = console_bot.api.user(9302, "Ouder", language_code="nl")
    await ask_to_talk(parent, "nl")
    [offer] = await amina.wait_for(1)
    await amina.press(buttons(offer)[0]["callback_data"])  # Accept
    await amina.wait_for(2)
    [(alias,)] = await console_bot.query("SELECT alias FROM cases")
    await amina.send_text("Hallo, ik ben Amina.")
    await amina.send_text(f"/refer {alias}")
    [partners] = await amina.wait_for(1, predicate=lambda m: bool(buttons(m)))
    await amina.press(press_labelled(partners, "CJG Zuidoost"))
    [when] = await amina.wait_for(1)
    await amina.press(press_labelled(when, nl.gettext("I will type the date")))
    await amina.wait_for(1)
    await amina.send_text(f"/appointment {alias} 31-12")
    await amina.wait_for(1)
    await console_bot.log_in(page)

    await page.goto(f"{console_bot.base}/console/")
    referred = page.locator("#group-referred + .cards")
    assert alias in await referred.inner_text()
    assert await page.locator("#mediations").count() == 0

    # the parent says it is stuck (as the check-in's button does)
    [(referral,)] = await console_bot.query("SELECT id FROM referral")
    [(parent_id,)] = await console_bot.query("SELECT parent_id FROM cases")
    core = console_bot.telegram.core
    async with core.database.transaction() as uow:
        await core.reception.referrals.answered(uow, parent_id, referral, "stuck", core.clock.now())
    await amina.wait_for(1)
    await amina.send_text(f"/step {alias} {STEP}")
    await amina.wait_for(1)

    await page.reload()
    mediations = page.locator("#mediations + p + .cards")
    assert alias in await mediations.inner_text()
    await page.goto(f"{console_bot.base}/console/cases/{alias}")
    partner = page.locator("dt", has_text=W.gettext("Referred to")).locator("+ dd")
    assert "CJG Zuidoost" in await partner.inner_text()
    mediation = page.locator("dt", has_text=W.gettext("Mediation")).locator("+ dd")
    steps = W.ngettext("open: {n} step recorded", "open: {n} steps recorded", 1).format(n=1)
    assert await mediation.inner_text() == steps
    html = await page.content()
    assert STEP not in html
    # the partner's anonymous figures: referred once, stalled, mediated
    await page.goto(f"{console_bot.base}/console/partners")
    row = page.locator('table[aria-labelledby="outcomes"] tbody tr')
    cells = [await c.inner_text() for c in await row.locator("th, td").all()]
    assert cells == ["CJG Zuidoost", "1", "0", "0", "1", "1"]
    assert STEP not in await page.content()
