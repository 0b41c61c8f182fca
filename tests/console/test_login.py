"""Logging in with the link from the bot, in a real browser."""

from __future__ import annotations

from playwright.async_api import Page

from tests.console.conftest import ConsoleBot, screenshot


async def test_the_link_from_the_bot_logs_in_once(console_bot: ConsoleBot, page: Page) -> None:
    link = await console_bot.link()
    await page.goto(link)
    await screenshot(page, "login")
    await page.get_by_role("button").first.click()
    await page.wait_for_url(f"{console_bot.base}/console/")
    assert "Sanne de Vries" in await page.inner_text("header")
    await page.goto(f"{console_bot.base}/console/sessions")
    assert await page.locator("tbody tr").count() == 1
    await screenshot(page, "sessions")
    cookies = await page.context.cookies()
    [cookie] = [c for c in cookies if c["name"] == "tussenin_console"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # the same link again, in another browser: refused
    other = await page.context.browser.new_context()  # type: ignore[union-attr]
    again = await other.new_page()
    await again.goto(link)
    await again.get_by_role("button").first.click()
    assert "/console/login" in again.url
    assert await again.locator("h1").count() == 1
    await other.close()
