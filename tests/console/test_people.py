"""The people pages in a real browser: invite a VP with a link and its QR code, they open it
in Telegram; widen their languages and a waiting parent's question reaches them; a form
error at its field; revoke an invitation; a deactivated coordinator is out at once."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import zxingcpp
from PIL import Image
from playwright.async_api import Browser, Page, expect

from bot.services import staff_words
from console.words import ConsoleCatalogs
from storage.people import Profile
from tests.bot.services.test_cases import CATALOGS
from tests.console.conftest import ConsoleBot, screenshot
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import ask_to_talk

# The coordinator has not chosen a language: the console speaks Dutch to them (its words
# fall back to English until translated), and so do these tests.
WORDS = ConsoleCatalogs(CATALOGS, ZoneInfo("Europe/Amsterdam")).for_code("nl")
_ = WORDS.gettext
NL = WORDS.shared


def label(code: str) -> str:
    return staff_words.language(NL, code)


async def test_invite_a_vp_widen_their_languages_and_a_waiting_question_reaches_them(
    console_bot: ConsoleBot, page: Page
) -> None:
    api = console_bot.api
    await console_bot.log_in(page)
    await page.get_by_role("link", name=_("People")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(_("People"))

    # invite a VP from the form
    await page.get_by_role("link", name=_("Invite someone")).click()
    await page.get_by_label(_("Their name")).fill("Hatice Yılmaz")
    await page.get_by_label(label("nl")).check()
    await page.get_by_label(staff_words.topic(NL, "school")).check()
    await page.get_by_label(staff_words.gender(NL, "f")).check()
    await page.get_by_label(_("Open questions at a time")).fill("2")
    await page.get_by_role("button", name=_("Make the invitation")).click()
    link = await page.locator("#invite-link").inner_text()
    assert link.startswith("https://t.me/") and "?start=inv" in link
    assert await page.locator("#invite-link").get_attribute("href") == link
    await screenshot(page, "invite")
    png = await page.locator(".qr").screenshot()
    [read] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert read.text == link
    [(target,)] = await console_bot.query("SELECT target FROM staff_audit WHERE action = 'invite'")
    assert target.startswith("invite ") and link.split("?start=")[1] not in target

    # a Turkish parent asks; nobody speaks Turkish yet, so the question waits
    hatice = api.user(7101, "Hatice", language_code="tr")
    await hatice.send_text(f"/start {link.split('?start=')[1]}")
    await hatice.wait_for(1)
    parent = api.user(7201, language_code="tr")
    await ask_to_talk(parent, "tr")
    [(alias, status)] = await console_bot.query("SELECT alias, status FROM cases")
    assert status == "waiting"

    # the coordinator adds Turkish; a form error first, with what was ticked kept
    await page.goto(f"{console_bot.base}/console/people")
    await page.get_by_role("link", name="Hatice Yılmaz").click()
    await expect(page.get_by_label(_("The name parents see"))).to_have_value("Hatice")
    await page.get_by_label(label("tr")).check()
    await screenshot(page, "person")
    await page.get_by_label(_("The name parents see")).fill("")
    await page.get_by_role("button", name=_("Save")).click()
    error = page.locator("#display_name-error")
    await expect(error).to_have_text(
        _("Write the name parents see, at least 1 and at most 40 characters.")
    )
    assert await page.get_by_label(_("The name parents see")).get_attribute("aria-invalid")
    await expect(page.get_by_label(label("tr"))).to_be_checked()
    await expect(page.get_by_label(label("nl"))).to_be_checked()
    [(languages,)] = await console_bot.query("SELECT languages FROM person WHERE role = 'vp'")
    assert languages == "nl"  # nothing saved
    await page.get_by_label(_("The name parents see")).fill("Hatice Y.")
    await page.get_by_role("button", name=_("Save")).click()
    await page.wait_for_url(f"{console_bot.base}/console/people")

    # the waiting question is offered to her at once
    [offer] = await hatice.wait_for(1, timeout=10)
    assert alias in offer["text"] and label("tr") in offer["text"]
    assert len(buttons(offer)) == 2  # Accept, Decline
    row = page.get_by_role("row").filter(has_text="Hatice Yılmaz")
    await expect(row).to_contain_text("Hatice Y.")
    await expect(row).to_contain_text(label("tr"))
    await expect(row).to_contain_text(_("{open} of {capacity}").format(open=0, capacity=2))
    [(_by, detail)] = await console_bot.query(
        "SELECT person_id, detail FROM staff_audit WHERE action = 'edit vp'"
    )
    assert detail == "display_name, languages"

    # an invitation for a coordinator, shown as pending, then revoked
    await page.get_by_role("link", name=_("Invite someone")).click()
    await page.get_by_label(_("coordinator")).check()
    await page.get_by_label(_("Their name")).fill("Joost Koster")
    await page.get_by_role("button", name=_("Make the invitation")).click()
    await page.get_by_role("link", name=_("All people")).click()
    pending = page.get_by_role("row").filter(has_text="Joost Koster")
    await expect(pending).to_contain_text(_("coordinator"))
    await screenshot(page, "people")
    await pending.get_by_role("button", name=_("Revoke")).click()
    await page.wait_for_url(f"{console_bot.base}/console/people")
    await expect(page.get_by_text("Joost Koster")).to_have_count(0)
    assert await console_bot.query("SELECT 1 FROM staff_audit WHERE action = 'revoke invite'")


async def test_a_form_error_on_the_invitation_stays_at_its_field(
    console_bot: ConsoleBot, page: Page
) -> None:
    await console_bot.log_in(page)
    await page.goto(f"{console_bot.base}/console/invite")
    await page.get_by_label(_("Their name")).fill("Omar B")
    await page.get_by_label(_("Open questions at a time")).fill("30")
    await page.get_by_role("button", name=_("Make the invitation")).click()
    await expect(page.locator("#languages-error")).to_have_text(_("Choose at least one language."))
    await expect(page.locator("#capacity-error")).to_have_text(
        _("Write a whole number from 1 to {most}.").format(most=20)
    )
    await expect(page.get_by_label(_("Their name"))).to_have_value("Omar B")
    await expect(page.locator(".qr")).to_have_count(0)
    assert await console_bot.query("SELECT 1 FROM invite WHERE name = 'Omar B'") == []


async def test_a_deactivated_coordinator_is_out_at_once(
    console_bot: ConsoleBot, page: Page, browser: Browser
) -> None:
    joost = console_bot.api.user(7002, "Joost", language_code="nl")
    await console_bot.invite(joost, Profile("coordinator", "Joost Koster"))
    other = await browser.new_context(locale="nl-NL")
    try:
        theirs = await other.new_page()
        await console_bot.log_in(theirs, joost)
        await console_bot.log_in(page)
        await page.goto(f"{console_bot.base}/console/people")
        # not oneself: one's own page has no button to do it
        await page.get_by_role("link", name="Sanne de Vries").click()
        await expect(page.get_by_role("button", name=_("Deactivate"))).to_have_count(0)
        await page.get_by_role("link", name=_("All people")).click()
        await page.get_by_role("link", name="Joost Koster").click()
        await page.get_by_role("button", name=_("Deactivate")).click()
        await page.wait_for_url(f"{console_bot.base}/console/people")
        row = page.get_by_role("row").filter(has_text="Joost Koster")
        await expect(row).to_contain_text(_("inactive"))
        refused = await theirs.goto(f"{console_bot.base}/console/people")
        assert refused is not None and refused.status == 401
    finally:
        await other.close()
    [(number,)] = await console_bot.query("SELECT id FROM person WHERE name = 'Joost Koster'")
    audited = await console_bot.query("SELECT target FROM staff_audit WHERE action = 'deactivate'")
    assert audited == [(f"coordinator {number}",)]
