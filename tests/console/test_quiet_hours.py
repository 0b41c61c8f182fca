"""New quiet hours re-plan the check-ins already waiting (#16): a parent leaves the question
unanswered, so the bot plans "no hurry" for two days later, in the evening; a coordinator
moves the start of the quiet hours before that evening in the console; the check-in now
waits for the end of the new quiet hours, and at that moment the parent gets it.

On a clock the test moves, so that two days pass in a second."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from playwright.async_api import Page, expect

from bot.services.clock import ManualClock
from bot.services.published_settings import QUIET_KINDS
from bot.services.task_kinds import NO_RESPONSE
from bot.settings import DEFAULT_FLOWS_DIR
from flows.durations import parse_duration
from storage import Database
from tests.console.conftest import VAULT, ConsoleBot, running_console
from tests.console.test_settings_page import WORDS, field
from tests.handlers.test_nothing_lost_over_http import welcomed
from tests.journeys import press_index

_ = WORDS.gettext
ZONE = ZoneInfo("Europe/Amsterdam")  # TIMEZONE in tests/live.py: quiet hours are local times
START = datetime(2026, 11, 30, 18, 30, tzinfo=ZONE)  # a Monday evening, before 21:00
# The question node of the shipped ask flow: unanswered for a while (2d), the parent hears
# "no hurry, type it when you are ready".
ASK = yaml.safe_load((DEFAULT_FLOWS_DIR / "ask.yaml").read_text(encoding="utf-8"))
NO_HURRY = ASK["nodes"]["later"]["say"][0]
WAITS = parse_duration(ASK["nodes"]["question"]["no_response"]["after"])
SAVED = re.compile(r"/console/settings\?saved=(\d+)&moved=1$")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START.astimezone(UTC))


@pytest.fixture
async def console_bot(database_url: str, clock: ManualClock) -> AsyncIterator[ConsoleBot]:
    async with running_console(database_url, clock) as bot:
        yield bot


async def waiting(bot: ConsoleBot) -> list[tuple[int, datetime]]:
    """The check-ins waiting to reach a parent: (task id, due)."""
    database = Database(bot.database_url)
    try:
        async with database.transaction() as uow:
            return await uow.tasks.pending_of(QUIET_KINDS)
    finally:
        await database.dispose()


async def waits_for(bot: ConsoleBot, subject: str) -> bool:
    database = Database(bot.database_url)
    try:
        async with database.transaction() as uow:
            return await uow.tasks.has_pending(NO_RESPONSE, subject)
    finally:
        await database.dispose()


async def test_new_quiet_hours_move_a_waiting_check_in_to_their_end(
    console_bot: ConsoleBot, clock: ManualClock, page: Page
) -> None:
    # A parent starts a question, picks a topic, and then says nothing.
    parent = console_bot.api.user(16001, language_code="nl")
    await welcomed(parent)
    await press_index(parent, 0)  # ask a question
    await parent.wait_for(1)
    await press_index(parent, 1)  # school
    await parent.wait_for(2)  # tell your question… (and the voice warning)
    assert await waits_for(console_bot, VAULT.subject_hash("telegram", parent.id))
    [(check_in, due)] = await waiting(console_bot)
    evening = START + WAITS  # at 18:30: not quiet by the shipped 21:00
    assert WAITS % timedelta(days=1) == timedelta(0)
    assert due == evening

    # The coordinator makes the evenings quiet from 18:00, and the mornings until 07:30.
    await console_bot.log_in(page)
    await page.get_by_role("link", name=_("Settings"), exact=True).click()
    await page.wait_for_url(f"{console_bot.base}/console/settings")
    await expect(field(page, "quiet_hours.start")).to_have_value("21:00")
    await expect(field(page, "quiet_hours.end")).to_have_value("08:00")
    await field(page, "quiet_hours.start").fill("18:00")
    await field(page, "quiet_hours.end").fill("07:30")
    await page.get_by_role("button", name=_("Save the settings")).click()
    await page.wait_for_url(SAVED)
    saved = SAVED.search(page.url)
    assert saved is not None
    notice = _("Saved as version {n}. Every instance uses it within seconds.")
    moved = WORDS.ngettext(
        "{n} waiting check-in now falls in the quiet hours: it was moved to their end.",
        "{n} waiting check-ins now fall in the quiet hours: they were moved to their end.",
        1,
    )
    await expect(page.locator(".notice")).to_have_text(
        f"{notice.format(n=int(saved.group(1)))} {moved.format(n=1)}"
    )
    await expect(field(page, "quiet_hours.start")).to_have_value("18:00")
    await expect(page.locator("[aria-invalid=true]")).to_have_count(0)

    # The same check-in now waits for the end of the new quiet hours, the next day at 07:30.
    morning = datetime.combine(evening.date() + timedelta(days=1), time(7, 30), ZONE)
    assert await waiting(console_bot) == [(check_in, morning)]

    # That evening passes in silence: the check-in was not even taken up and put back.
    clock.advance(evening - START + timedelta(minutes=1))
    await asyncio.sleep(2.5)  # the task tick runs every second
    assert not await parent.wait_for(0)
    assert await waiting(console_bot) == [(check_in, morning)]

    # At 07:30 the parent gets it.
    clock.advance(morning - clock.now())
    [later] = await parent.wait_for(1, timeout=30)
    assert later["text"] == NO_HURRY
    assert await waiting(console_bot) == []
