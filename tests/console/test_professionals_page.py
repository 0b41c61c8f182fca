"""Professionals of partner organisations on the people pages (#17): without partners the
choice says to add them first; an invitation needs one of the partners; the link registers
a professional of that partner, welcomed by its name; the People page lists them apart, with
their organisation (its id once the partner is removed), and their page names no case."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.async_api import Page, expect

from storage import Database
from tests.console.conftest import ConsoleBot
from tests.console.test_people import WORDS
from tests.console.test_referral_board import with_partners

_ = WORDS.gettext  # Dutch, falling back to English until translated

CJG = "  - id: cjg_zuidoost\n    name: CJG Zuidoost\n    kind: cjg\n"


async def without_cjg(console_bot: ConsoleBot) -> None:
    """CJG Zuidoost leaves the map, published as the Partners page would."""
    core = console_bot.telegram.core
    text = core.coordinator.text
    start = text.index(CJG)
    end = text.index("  - id: wijkteam_noord")
    database = Database(console_bot.database_url)
    try:
        async with database.transaction() as uow:
            coordinator = (await uow.people.coordinators())[0]
            published = await core.published_settings.publish(
                uow, text[:start] + text[end:], coordinator.id, datetime.now(UTC)
            )
    finally:
        await database.dispose()
    assert published.problems == [] and core.coordinator.current.partner("cjg_zuidoost") is None


async def test_invite_a_professional_of_a_partner_and_see_them_apart(
    console_bot: ConsoleBot, page: Page
) -> None:
    api = console_bot.api
    await console_bot.log_in(page)

    # no partners yet: the choice cannot be made and says where to add them
    await page.goto(f"{console_bot.base}/console/invite")
    choice = page.get_by_label(_("professional of a partner organisation"))
    await expect(choice).to_be_disabled()
    hint = page.locator("#role-partner-hint")
    await expect(hint).to_contain_text(
        _("Add the partner organisations first; then you can invite their professionals.")
    )
    assert await hint.get_by_role("link").get_attribute("href") == "/console/partners"
    await expect(page.get_by_label(_("The organisation they work for"))).to_have_count(0)

    # two partners; an invitation without one of them is refused at its field
    await with_partners(console_bot)
    await page.reload()
    await page.get_by_label(_("professional of a partner organisation")).check()
    await page.get_by_label(_("Their name")).fill("Jan Bakker")
    await page.get_by_role("button", name=_("Make the invitation")).click()
    error = page.locator("#partner-error")
    await expect(error).to_have_text(_("Choose the organisation they work for."))
    organisation = page.get_by_label(_("The organisation they work for"))
    assert await organisation.get_attribute("aria-invalid") == "true"
    await expect(page.get_by_label(_("Their name"))).to_have_value("Jan Bakker")
    await expect(page.get_by_label(_("professional of a partner organisation"))).to_be_checked()
    await expect(page.locator("#languages-error")).to_have_count(0)  # not asked of them
    await expect(page.locator(".qr")).to_have_count(0)
    assert await console_bot.query("SELECT 1 FROM invite") == [(1,)]  # the coordinator's own

    # chosen by name, the invitation is made for that partner
    await organisation.select_option(label="CJG Zuidoost")
    await page.get_by_role("button", name=_("Make the invitation")).click()
    link = await page.locator("#invite-link").inner_text()
    assert "?start=inv" in link
    role = _("professional of {organisation}").format(organisation="CJG Zuidoost")
    await expect(page.get_by_role("main")).to_contain_text(role)
    audited = await console_bot.query(
        "SELECT target, detail FROM staff_audit WHERE action = 'invite'"
    )
    assert [detail for _target, detail in audited] == ["partner"]
    assert audited[0][0].startswith("invite ") and link.split("?start=")[1] not in audited[0][0]

    # pending, it says what for; opened in Telegram, it registers a professional of CJG
    await page.get_by_role("link", name=_("All people")).click()
    pending = page.locator('table[aria-labelledby="invites"]').get_by_role("row")
    await expect(pending.filter(has_text="Jan Bakker")).to_contain_text(
        _("professional of a partner organisation")
    )
    jan = api.user(7301, "Jan", language_code="nl")
    await jan.send_text(f"/start {link.split('?start=')[1]}")
    [welcome] = await jan.wait_for(1)
    assert "CJG Zuidoost" in welcome["text"] and "Jan Bakker" in welcome["text"]
    [(number, role_code, partner_id, display)] = await console_bot.query(
        "SELECT id, role, partner_id, display_name FROM person WHERE name = 'Jan Bakker'"
    )
    assert (role_code, partner_id, display) == ("partner", "cjg_zuidoost", "Jan (CJG Zuidoost)")

    # the People page: under professionals with their organisation, nowhere else
    await page.reload()
    professionals = page.locator('table[aria-labelledby="professionals"]')
    row = professionals.get_by_role("row").filter(has_text="Jan Bakker")
    await expect(row).to_contain_text("CJG Zuidoost")
    await expect(row).to_contain_text(_("active"))
    await expect(page.locator('table[aria-labelledby="coordinators"]')).not_to_contain_text("Jan")
    await expect(page.locator('table[aria-labelledby="vps"]')).to_have_count(0)  # none yet
    await expect(page.locator('table[aria-labelledby="invites"]')).to_have_count(0)  # used

    # their page: the organisation, no case, no form; taking them off is possible
    await row.get_by_role("link", name="Jan Bakker").click()
    await page.wait_for_url(f"{console_bot.base}/console/people/{number}")
    main = page.get_by_role("main")
    await expect(main).to_contain_text(_("Organisation:") + " CJG Zuidoost")
    await expect(main.get_by_role("button")).to_have_count(1)
    await main.get_by_role("button", name=_("Deactivate")).click()
    await page.wait_for_url(f"{console_bot.base}/console/people")
    [(active,)] = await console_bot.query(f"SELECT active FROM person WHERE id = {number}")
    assert not active

    # a partner removed while the form was open: refused at the field; the People page
    # then names Jan's organisation by its id
    await page.goto(f"{console_bot.base}/console/invite")
    await page.get_by_label(_("professional of a partner organisation")).check()
    await page.get_by_label(_("Their name")).fill("Els de Boer")
    await page.get_by_label(_("The organisation they work for")).select_option("cjg_zuidoost")
    await without_cjg(console_bot)
    await page.get_by_role("button", name=_("Make the invitation")).click()
    await expect(page.locator("#partner-error")).to_have_text(
        _("That organisation is no longer on the Partners page. Choose one from the list.")
    )
    assert await console_bot.query("SELECT 1 FROM invite WHERE name = 'Els de Boer'") == []
    await page.goto(f"{console_bot.base}/console/people")
    row = page.locator('table[aria-labelledby="professionals"]').get_by_role("row")
    await expect(row.filter(has_text="Jan Bakker")).to_contain_text("cjg_zuidoost")
