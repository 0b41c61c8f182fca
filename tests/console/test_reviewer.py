"""A reviewer in a real browser: a coordinator gives an Arabic VP the reviewer role on the
people page; the VP asks the bot for a link with /console, lands on the Arabic translations,
sees no other language and saves an Arabic text; every other console URL refuses them, a
POST with their valid CSRF token too; taking the role away ends their session at once."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, Page, expect

from console.guard import Permission
from console.words import ConsoleCatalogs
from storage.people import Profile
from tests.bot.services.test_cases import CATALOGS
from tests.botapi import FakeUser
from tests.console.conftest import LINK, ConsoleBot
from tests.console.test_security import (
    CSRF_FIELD,
    assert_headers,
    client,
    console_routes,
)
from tests.console.test_translations_page import CORRECTED, HELLO, name, search, versions

_ = ConsoleCatalogs(CATALOGS, ZoneInfo("Europe/Amsterdam")).for_code("nl").gettext
# What a reviewer may open: the translations (of Arabic only) and their own sessions.
THEIRS = {("GET", "/console/translations"), ("GET", "/console/sessions")}
LOGOUT = ("POST", "/console/sessions/end")  # theirs too, tried last


async def told(user: FakeUser, command: str) -> str:
    await user.send_text(command)
    [answer] = await user.wait_for(1)
    return str(answer.get("text", ""))


async def test_an_arabic_reviewer_sees_only_the_arabic_translations(
    console_bot: ConsoleBot, page: Page, browser: Browser
) -> None:
    base = console_bot.base
    amina = console_bot.api.user(7301, "Amina", language_code="ar")
    await console_bot.invite(amina, Profile("vp", "Amina El Idrissi", ("ar",), "f"))
    [(number,)] = await console_bot.query("SELECT id FROM person WHERE name = 'Amina El Idrissi'")
    assert not LINK.search(await told(amina, "/console"))  # a VP without the role: no link

    # the coordinator gives her the reviewer role
    await console_bot.log_in(page)
    await page.goto(f"{base}/console/people/{number}")
    await page.get_by_label(_("Reviews the translations of their languages")).check()
    await page.get_by_role("button", name=_("Save")).click()
    await page.wait_for_url(f"{base}/console/people")
    row = page.get_by_role("row").filter(has_text="Amina El Idrissi")
    await expect(row).to_contain_text(_("reviews translations"))
    [(detail,)] = await console_bot.query("SELECT detail FROM staff_audit WHERE action = 'edit vp'")
    assert detail == "reviewer"

    # she asks the bot for a link and lands on the Arabic texts
    context = await browser.new_context(locale="nl-NL")
    try:
        hers = await context.new_page()
        await hers.goto(await console_bot.link(amina))
        await hers.get_by_role("button").first.click()
        await hers.wait_for_url(f"{base}/console/translations/ar")
        heading = _("Translations: {language}").format(language=name("ar"))
        await expect(hers.get_by_role("heading", level=1)).to_have_text(heading)
        nav = hers.get_by_role("navigation", name=_("Console")).get_by_role("link")
        await expect(nav).to_have_text([_("Translations"), _("Sessions")])

        # she corrects an Arabic text; it is published in her name
        await search(hers, HELLO.context or "")
        label = _("Translation into {language}").format(language=name("ar"))
        text = hers.locator(f"#{HELLO.id}")
        await text.get_by_label(label).fill(CORRECTED)
        await text.get_by_role("button", name=_("Save"), exact=True).click()
        await hers.wait_for_url(re.compile(r"/console/translations/ar\?q=[^&]+&done=saved"))
        assert (await versions(console_bot, "ar"))[-1] == ("console", number)

        # the languages: Arabic alone
        await nav.filter(has_text=_("Translations")).click()
        await hers.wait_for_url(f"{base}/console/translations")
        await expect(hers.locator("tbody tr")).to_have_count(1)
        await expect(hers.locator("tbody")).to_contain_text(name("ar"))
        refused = await hers.goto(f"{base}/console/translations/tr")
        assert refused is not None and refused.status == 403
        refused = await hers.goto(f"{base}/console/")
        assert refused is not None and refused.status == 403
        await expect(hers.get_by_role("navigation").get_by_role("link")).to_have_count(2)

        # every other console URL refuses her, a POST with her valid CSRF token too
        async with client() as http:
            code = LINK.search(await told(amina, "/console"))
            assert code
            async with http.post(
                f"{base}/console/login", data={"code": code.group(0).split("code=")[1]}
            ) as response:
                assert response.url.path == "/console/translations/ar"
                csrf = CSRF_FIELD.search(await response.text())
            assert csrf
            tried = 0
            for method, path, need in console_routes(console_bot):
                path = path.replace("/translations/ar", "/translations/tr")
                if need is Permission.PUBLIC or (method, path) == LOGOUT:
                    continue
                async with http.request(
                    method, base + path, data={"csrf": csrf.group(1)}, allow_redirects=False
                ) as response:
                    assert_headers(response)
                    expected = 200 if (method, path) in THEIRS else 403
                    assert response.status == expected, (method, path, response.status)
                    tried += expected == 403
            assert tried >= 10
            async with http.get(f"{base}/console/sessions") as response:
                assert response.status == 200  # the refusals did not end the session

        # the coordinator takes the role away: her session ends at once
        await page.goto(f"{base}/console/people/{number}")
        await page.get_by_label(_("Reviews the translations of their languages")).uncheck()
        await page.get_by_role("button", name=_("Save")).click()
        await page.wait_for_url(f"{base}/console/people")
        ended = await hers.goto(f"{base}/console/translations/ar")
        assert ended is not None and ended.status == 401
    finally:
        await context.close()
    assert not LINK.search(await told(amina, "/console"))
    audited = await console_bot.query(
        "SELECT person_id, action, target FROM staff_audit WHERE action = 'translate'"
    )
    assert audited == [(number, "translate", "ar")]
