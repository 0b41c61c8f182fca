"""Every console page a coordinator reaches by links, in chromium on a 390 px phone: it fits
the width, each field has a label, it has one heading, a language and a working keyboard
path (the skip link first), and it loads nothing from elsewhere."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.async_api import Page

from storage.people import Profile
from tests.console.conftest import PHONE, ConsoleBot
from tests.handlers.test_flows_over_http import buttons
from tests.handlers.test_handoff_over_http import ask_to_talk

MAX_PAGES = 60

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && e.type !== 'submit')
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id || e.outerHTML.slice(0, 80))"""


async def test_every_page_fits_a_phone_and_has_labels(console_bot: ConsoleBot, page: Page) -> None:
    vp = console_bot.api.user(6201, "Amina", language_code="nl")
    await console_bot.invite(vp, Profile("vp", "Amina El Idrissi", ("ar", "nl"), "f"))
    parent = console_bot.api.user(6202, "Parent", language_code="ar")
    await ask_to_talk(parent, "ar")
    [offer] = await vp.wait_for(1)
    await vp.press(buttons(offer)[0]["callback_data"])
    await vp.wait_for(2)
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url)
            if urlsplit(request.url).netloc != urlsplit(console_bot.base).netloc
            else None
        ),
    )
    await page.set_viewport_size(PHONE)
    await console_bot.log_in(page)
    queue, seen = [f"{console_bot.base}/console/"], set()
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen or urlsplit(url).path.endswith(".csv"):
            continue
        seen.add(url)
        response = await page.goto(url)
        assert response is not None and response.status == 200, url
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (url, width)
        assert await page.evaluate(UNLABELLED) == [], url
        assert await page.locator("h1").count() == 1, url
        assert await page.get_attribute("html", "lang"), url
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.getAttribute('href')")
        assert focused == "#main", url
        for href in await page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(href)
            if (
                parts.netloc == urlsplit(console_bot.base).netloc
                and parts.path.startswith("/console/")
                and not parts.path.startswith("/console/static/")
            ):
                queue.append(href.split("#")[0])
    assert len(seen) >= 5, seen
    assert elsewhere == []
