"""The partners page: a coordinator adds a partner (a CJG serving Arabic and Dutch), sees it
listed in words, gets a bad phone number back at its field, changes it and removes it after
a confirmation; each change is a published settings version (read from the database, not
from the bot's memory), a save on the Settings page keeps the partners, and a form left open
while someone else saved is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from bot.services import staff_words
from bot.services.coordinator_settings import CoordinatorSettings, parse_settings
from bot.services.published_settings import KIND
from console.settings import settings_text
from console.words import ConsoleCatalogs
from tests.bot.services.test_cases import CATALOGS
from tests.console.conftest import PHONE, ConsoleBot, screenshot
from tests.console.test_pages import UNLABELLED

WORDS = ConsoleCatalogs(CATALOGS, ZoneInfo("Europe/Amsterdam")).for_code("nl")
_ = WORDS.gettext


async def fits_a_phone(page: Page) -> None:
    """What test_pages checks of every page it reaches (it meets no partner to open)."""
    await page.set_viewport_size(PHONE)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert await page.evaluate(UNLABELLED) == []
    assert await page.locator("h1").count() == 1
    await page.set_viewport_size({"width": 1280, "height": 720})


def field(page: Page, key: str) -> Any:
    return page.locator(f'[name="{key}"]')


async def newest_published(bot: ConsoleBot) -> tuple[int, str, CoordinatorSettings]:
    """The newest settings version as the database holds it: what every instance serves."""
    [(number, source, content)] = await bot.query(
        f"SELECT id, source, content FROM published WHERE kind = '{KIND}' ORDER BY id DESC LIMIT 1"
    )
    return int(number), str(source), parse_settings(str(content), Path("settings.yaml"))


async def test_a_coordinator_adds_changes_and_removes_a_partner(
    console_bot: ConsoleBot, page: Page
) -> None:
    core = console_bot.telegram.core
    base = console_bot.base
    t = WORDS.shared
    await console_bot.log_in(page)
    await page.get_by_role("link", name=_("Partners"), exact=True).click()
    await page.wait_for_url(f"{base}/console/partners")
    await expect(page.get_by_role("heading", level=1)).to_have_text(_("Partners"))
    await expect(page.get_by_text(_("No partner has been added yet."))).to_be_visible()

    # a CJG serving Arabic and Dutch, with a phone number in words: refused at its field
    await page.get_by_role("link", name=_("Add a partner")).click()
    await page.wait_for_url(f"{base}/console/partners/new")
    await field(page, "name").fill("CJG Zuidoost")
    await field(page, "kind").select_option("cjg")
    await page.locator("#p-language-ar").check()
    await page.locator("#p-language-nl").check()
    await field(page, "contact.phone").fill("bel ons maar")
    await field(page, "contact.website").fill("https://cjg-zuidoost.example")
    await page.get_by_role("button", name=_("Add the partner")).click()
    phone = field(page, "contact.phone")
    await expect(phone).to_have_attribute("aria-invalid", "true")
    await expect(phone).to_have_value("bel ons maar")
    await expect(page.locator("#p-contact-phone-error")).to_have_text(
        _("Write a phone number with digits, like +31 20 123 4567.")
    )
    described = await phone.get_attribute("aria-describedby") or ""
    assert "p-contact-phone-error" in described.split()
    await expect(page.locator("[aria-invalid=true]")).to_have_count(1)  # only that field
    await expect(page.locator("#p-errors a[href='#p-contact-phone']")).to_have_count(1)
    await expect(page.locator("#p-language-ar")).to_be_checked()  # what was chosen is kept
    await expect(field(page, "name")).to_have_value("CJG Zuidoost")
    assert core.coordinator.current.partners == []

    # corrected: published, listed in words
    await phone.fill("+31 20 123 4567")
    await page.get_by_role("button", name=_("Add the partner")).click()
    await page.wait_for_url(f"{base}/console/partners?done=added&saved=*")
    await expect(page.locator(".notice")).to_be_visible()
    row = page.locator("tr#partner-cjg_zuidoost")
    await expect(row).to_contain_text("CJG Zuidoost")
    await expect(row).to_contain_text(staff_words.partner_kind(t, "cjg"))
    await expect(row).to_contain_text(staff_words.languages(t, ["nl", "ar"]))
    await expect(row).to_contain_text("+31 20 123 4567")
    await expect(row).to_contain_text("https://cjg-zuidoost.example")
    await screenshot(page, "partners")
    [cjg] = core.coordinator.current.partners
    assert (cjg.id, cjg.kind, cjg.languages) == ("cjg_zuidoost", "cjg", ["nl", "ar"])
    number, source, stored = await newest_published(console_bot)
    assert source == "console" and stored.partners == [cjg]
    assert core.published_settings.applied == number
    [(sanne,)] = await console_bot.query("SELECT id FROM person WHERE name = 'Sanne de Vries'")
    audited = await console_bot.query(
        "SELECT person_id, target, detail FROM staff_audit WHERE action = 'settings'"
    )
    assert audited == [(sanne, f"version {number}", "partners: added cjg_zuidoost")]

    # changed: a contact person and Turkish too
    await row.get_by_role("link", name="CJG Zuidoost").click()
    await page.wait_for_url(f"{base}/console/partners/cjg_zuidoost")
    await expect(field(page, "contact.phone")).to_have_value("+31 20 123 4567")
    await fits_a_phone(page)
    await field(page, "contact_person").fill("Fatima Amrani")
    await page.locator("#p-language-tr").check()
    await page.get_by_role("button", name=_("Save the partner")).click()
    await page.wait_for_url(f"{base}/console/partners?done=changed&saved=*")
    await expect(row).to_contain_text("Fatima Amrani")
    await expect(row).to_contain_text(staff_words.languages(t, ["nl", "ar", "tr"]))
    _number, _source, stored = await newest_published(console_bot)
    [cjg] = stored.partners
    assert cjg.contact_person == "Fatima Amrani" and cjg.languages == ["nl", "ar", "tr"]

    # a save on the Settings page keeps the partner it does not show
    await page.get_by_role("link", name=_("Settings"), exact=True).click()
    await field(page, "urgent.everyone_after").fill("5h")
    await page.get_by_role("button", name=_("Save the settings")).click()
    await page.wait_for_url(f"{base}/console/settings?saved=*")
    _number, _source, stored = await newest_published(console_bot)
    assert stored.urgent.everyone_after.total_seconds() == 5 * 3600
    assert stored.partners == [cjg] and core.coordinator.current.partners == [cjg]

    # a form left open while someone else saved: refused, the values kept
    await page.goto(f"{base}/console/partners/cjg_zuidoost")
    await field(page, "contact.address").fill("Voorbeeldstraat 1")
    changed = core.coordinator.current.model_copy(
        update={
            "cases": core.coordinator.current.cases.model_copy(update={"max_open_per_parent": 3})
        }
    )
    async with core.database.transaction() as uow:
        other = await core.published_settings.publish(
            uow, settings_text(changed), sanne, core.clock.now()
        )
    assert other.version is not None
    await page.get_by_role("button", name=_("Save the partner")).click()
    await expect(page.locator(".warning")).to_contain_text(str(other.version))
    await expect(field(page, "contact.address")).to_have_value("Voorbeeldstraat 1")
    assert (await newest_published(console_bot))[0] == other.version
    assert core.coordinator.current.partners[0].contact.address is None

    # removed, after a confirmation
    await page.goto(f"{base}/console/partners/cjg_zuidoost")
    await page.get_by_role(
        "link", name=_("Remove {name} from the partners…").format(name="CJG Zuidoost")
    ).click()
    await page.wait_for_url(f"{base}/console/partners/cjg_zuidoost/remove")
    assert core.coordinator.current.partners  # not yet
    await fits_a_phone(page)
    await page.get_by_role(
        "button", name=_("Yes, remove {name}").format(name="CJG Zuidoost")
    ).click()
    await page.wait_for_url(f"{base}/console/partners?done=removed&saved=*")
    await expect(page.locator("tr#partner-cjg_zuidoost")).to_have_count(0)
    assert core.coordinator.current.partners == []
    _number, _source, stored = await newest_published(console_bot)
    assert stored.partners == [] and stored.cases.max_open_per_parent == 3

    # a partner that does not exist
    response = await page.goto(f"{base}/console/partners/cjg_zuidoost")
    assert response is not None and response.status == 404
