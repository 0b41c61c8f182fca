"""The translations pages over the real bot: a coordinator sees every language's coverage and
review state, opens Arabic and corrects a flow text, which a parent who starts in Arabic then
reads; a correction that drops a placeholder is refused at its text, what was typed kept;
Turkish marked reviewed by a native speaker, and `python -m bot i18n status` says so."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from bot.i18n import RLM
from bot.services import staff_words
from bot.services.published_catalogs import KIND
from bot.services.translation_desk import Key
from console.words import ConsoleCatalogs
from tests.bot.services.test_cases import CATALOGS
from tests.console.conftest import ConsoleBot, screenshot
from tests.live import CLI_TIMEOUT, cli_settings, eventually, start_cli

WORDS = ConsoleCatalogs(CATALOGS, ZoneInfo("Europe/Amsterdam")).for_code("nl")
_ = WORDS.gettext
HELLO = Key(
    "welcome:hello:say.0",
    "Welkom. We vragen je naam niet. Niets gaat verder zonder jouw ja. Stoppen kan altijd.",
)
WELCOME = Key(None, "Welcome, {name}. You are now registered as a coordinator.")
CORRECTED = "أهلًا وسهلًا بكم. لا نسأل عن اسمكم. لا شيء يُعطى لأحد دون موافقتكم. التوقف ممكن دائمًا."


async def cli_stdout(cwd: Path, *args: str, **settings: str) -> str:
    """`python -m bot ARGS` run to the end: what it printed."""
    process = await start_cli(cwd, *args, **settings)
    stdout, stderr = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


def name(code: str) -> str:
    return staff_words.language(WORDS.shared, code)


async def versions(bot: ConsoleBot, code: str) -> list[tuple[str, int | None]]:
    """Who published the language's versions: ("console", person) or ("files", None)."""
    rows = await bot.query(
        f"SELECT source, person_id FROM published WHERE kind = '{KIND}' AND name = '{code}' "
        "ORDER BY id"
    )
    return [(str(row[0]), row[1]) for row in rows]


async def search(page: Page, text: str) -> None:
    await page.get_by_label(_("Search in the texts")).fill(text)
    await page.get_by_role("button", name=_("Show"), exact=True).click()
    await page.wait_for_load_state()


async def test_a_coordinator_corrects_arabic_and_marks_turkish_reviewed(
    console_bot: ConsoleBot, page: Page, tmp_path: Path
) -> None:
    core = console_bot.telegram.core
    await console_bot.log_in(page)
    await page.get_by_role("link", name=_("Translations"), exact=True).click()
    await page.wait_for_url(f"{console_bot.base}/console/translations")
    await expect(page.get_by_role("heading", level=1)).to_have_text(_("Translations"))
    arabic = page.get_by_role("row").filter(has=page.get_by_role("link", name=name("ar")))
    await expect(arabic).to_contain_text("100%")
    await expect(arabic).to_contain_text(_("Not yet"))
    await expect(page.get_by_role("row")).to_have_count(1 + 9)  # every language
    await screenshot(page, "translations")

    # Arabic: the texts side by side, the translation right to left
    await arabic.get_by_role("link").click()
    await page.wait_for_url(f"{console_bot.base}/console/translations/ar")
    heading = _("Translations: {language}").format(language=name("ar"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    await expect(page.locator("textarea")).to_have_count(50, timeout=10_000)  # the first page
    for textarea in (await page.locator("textarea").all())[:5]:
        assert await textarea.get_attribute("dir") == "rtl"
        assert await textarea.get_attribute("lang") == "ar"
        label = page.locator(f'label[for="{await textarea.get_attribute("id")}"]')
        assert (await label.inner_text()).strip()
    await expect(page.get_by_role("link", name=_("Next page"))).to_be_visible()
    await search(page, "welcome:")  # the welcome's texts: a page of a readable length
    await expect(page.locator("tbody tr")).to_have_count(12)
    await screenshot(page, "translation-arabic")

    # the welcome's first sentence, corrected
    [(sanne,)] = await console_bot.query("SELECT id FROM person WHERE name = 'Sanne de Vries'")
    assert await versions(console_bot, "ar") == [("files", None)]
    await search(page, HELLO.context or "")
    row = page.locator(f"#{HELLO.id}")
    await expect(row).to_contain_text(HELLO.msgid)  # the Dutch
    await expect(row).to_contain_text("Welcome. We don't ask your name.")  # the English
    label = _("Translation into {language}").format(language=name("ar"))
    await row.get_by_label(label).fill(CORRECTED)
    await row.get_by_role("button", name=_("Save"), exact=True).click()
    await page.wait_for_url(
        re.compile(rf"/console/translations/ar\?q=[^&]+&done=saved#{HELLO.id}$")
    )
    await expect(page.locator(".notice")).to_be_visible()
    await expect(page.locator(f"#{HELLO.id}").get_by_label(label)).to_have_value(CORRECTED)
    published = await versions(console_bot, "ar")
    assert published[0] == ("files", None) and published[-1] == ("console", sanne), published
    # Served at once. (A follow() that read the database just before the commit may put the
    # old version back for up to a second; the next one takes the new version again.)
    await asyncio.sleep(1.5)
    await eventually(lambda: core.flows.current.text("ar", HELLO.context, HELLO.msgid) == CORRECTED)

    # a parent who starts in Arabic reads it
    parent = console_bot.api.user(8801, "Amina", language_code="ar")
    await parent.send_text("/start")
    await parent.wait_for(1)
    await parent.press("lang:ar")
    welcome = await parent.wait_for(3)
    assert any(RLM + CORRECTED in message.get("text", "") for message in welcome), welcome

    # a correction that drops the placeholder: refused at its text, what was typed kept
    await search(page, WELCOME.msgid)
    row = page.locator(f"#{WELCOME.id}")
    typed = "أهلًا بكم. تم تسجيلكم الآن بصفة منسّق."
    await row.get_by_label(label).fill(typed)
    await row.get_by_role("button", name=_("Save"), exact=True).click()
    row = page.locator(f"#{WELCOME.id}")
    field = row.get_by_label(label)
    await expect(field).to_have_value(typed)
    await expect(field).to_have_attribute("aria-invalid", "true")
    error = row.locator(".error")
    await expect(error).to_contain_text("{name}")
    await expect(page.locator("[aria-invalid=true]")).to_have_count(1)
    assert [v for v in await versions(console_bot, "ar") if v[0] == "console"] == [
        ("console", sanne)
    ]
    served = core.catalogs.translator("ar").gettext(WELCOME.msgid)
    assert "{name}" in served and served != typed

    # Turkish: the whole language marked reviewed, after the confirmation
    await page.goto(f"{console_bot.base}/console/translations/tr")
    mark = page.get_by_role("button", name=_("Mark the whole language reviewed"))
    await mark.click()  # not confirmed: nothing happens
    await expect(page.locator("#confirm-error")).to_be_visible()
    sentence = _("A native speaker has read the texts of {language} and found them right.")
    await page.get_by_label(sentence.format(language=name("tr"))).check()
    await page.get_by_role("button", name=_("Mark the whole language reviewed")).click()
    await page.wait_for_url(re.compile(r"/console/translations/tr\?done=language$"))
    await expect(page.locator(".notice")).to_be_visible()
    await expect(page.get_by_role("main")).to_contain_text("Sanne de Vries")
    audited = await console_bot.query(
        "SELECT person_id, action, target, detail FROM staff_audit "
        "WHERE action IN ('translate', 'review') ORDER BY id"
    )
    assert audited == [
        (sanne, "translate", "ar", HELLO.context),
        (sanne, "review", "tr", "language"),
    ]

    settings = cli_settings(console_bot.api, console_bot.database_url)
    status = await cli_stdout(tmp_path, "i18n", "status", **settings)
    lines = {line.split()[0]: line for line in status.splitlines()[:-1]}
    assert "reviewed by a native speaker" in lines["tr"], status
    assert "not reviewed yet" in lines["ar"], status
    await page.get_by_role("link", name=_("Translations"), exact=True).click()
    turkish = page.get_by_role("row").filter(has=page.get_by_role("link", name=name("tr")))
    await expect(turkish).to_contain_text(f"Sanne de Vries ({sanne})")


async def test_an_unknown_language_is_no_page(console_bot: ConsoleBot, page: Page) -> None:
    await console_bot.log_in(page)
    response = await page.goto(f"{console_bot.base}/console/translations/xx")
    assert response is not None and response.status == 404
    response = await page.goto(f"{console_bot.base}/console/translations/ar?show=fuzzy&page=x")
    assert response is not None and response.status == 200
    await expect(page.get_by_text(_("No text matches."))).to_be_visible()
