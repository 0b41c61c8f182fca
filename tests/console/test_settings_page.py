"""The settings page: every setting in a form whose text round-trips through the settings
file's own parser; a bad value shown at its field in plain words and nothing published; a
good save published as a new version that the running bot serves at once, listed in the
history with who saved it, and readable as text; a form left open while someone else saved
is refused rather than undoing their change."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from bot.services.coordinator_settings import CoordinatorSettings, parse_settings
from bot.services.published_settings import KIND
from bot.settings import DEFAULT_FLOWS_DIR
from console.settings import FIELDS, read_form, settings_text, shown
from console.words import ConsoleCatalogs
from tests.bot.services.test_cases import CATALOGS
from tests.console.conftest import ConsoleBot, screenshot

# The coordinator has not chosen a language: the console speaks Dutch to them.
WORDS = ConsoleCatalogs(CATALOGS, ZoneInfo("Europe/Amsterdam")).for_code("nl")
_ = WORDS.gettext
FILE = DEFAULT_FLOWS_DIR / "settings.yaml"


def defaults() -> CoordinatorSettings:
    return parse_settings(FILE.read_text(encoding="utf-8"), FILE)


def field(page: Page, key: str) -> Any:
    return page.locator(f'[name="{key}"]')


def version_link(page: Page, number: int) -> Any:
    return page.get_by_role("link", name=_("Version {n}").format(n=number), exact=True)


async def published(bot: ConsoleBot) -> list[tuple[int, str, int | None]]:
    rows = await bot.query(
        f"SELECT id, source, person_id FROM published WHERE kind = '{KIND}' ORDER BY id"
    )
    return [(int(row[0]), str(row[1]), row[2]) for row in rows]


# --- the form without a browser ------------------------------------------------------------


def test_the_default_settings_round_trip_through_the_form_and_the_file() -> None:
    settings = defaults()
    values = shown(settings)
    assert values["urgent.everyone_after"] == "4h"
    assert values["quiet_hours.start"] == "21:00"
    assert values["follow_ups.satisfaction_after"] == "1d"
    assert values["matching.preferred_gender.safety"] == ""
    assert set(FIELDS) <= set(values)
    again, errors = read_form(WORDS, settings, values)
    assert errors == {} and again == settings
    text = settings_text(settings)
    assert next(line for line in text.splitlines() if not line.startswith("#")) == "version: 1"
    assert parse_settings(text, Path("settings.yaml")) == settings


def test_changed_values_round_trip_too() -> None:
    settings = defaults()
    values = shown(settings) | {
        "quiet_hours.start": "20:00",
        "quiet_hours.end": "07:30",
        "urgent.everyone_after": "1h30m",
        "follow_ups.satisfaction_after": "",  # none asked
        "matching.preferred_gender.safety": "f",
        "organisation.phone": "",
        "organisation.name": "Tussen In: Zuidoost",  # a colon, quoted in the file
        "languages": ["ar", "nl", "tr"],
    }
    changed, errors = read_form(WORDS, settings, values)
    assert errors == {} and changed is not None
    assert changed.quiet_hours.start == time(20, 0) and changed.quiet_hours.end == time(7, 30)
    assert changed.urgent.everyone_after == timedelta(hours=1, minutes=30)
    assert changed.follow_ups.satisfaction_after is None
    assert changed.matching.preferred_gender == {"safety": "f"}
    assert changed.organisation.phone is None
    assert changed.languages == ["nl", "ar", "tr"]  # the order they had
    assert parse_settings(settings_text(changed), Path("settings.yaml")) == changed
    assert shown(changed)["follow_ups.satisfaction_after"] == ""


def test_each_error_is_at_its_field_in_a_sentence_of_ours() -> None:
    settings = defaults()
    values = shown(settings) | {
        "organisation.name": "",
        "languages": [],
        "quiet_hours.start": "25:00",
        "cases.max_open_per_parent": "30",
        "urgent.everyone_after": "4 uur",
        "follow_ups.satisfaction_after": "soon",
        "flood.per": "0s",
        "matching.preferred_gender.safety": "x",
        "console.idle_after": "13h",
    }
    result, errors = read_form(WORDS, settings, values)
    assert result is None
    assert errors == {
        "organisation.name": _("Fill this in."),
        "languages": _("Choose at least one language."),
        "quiet_hours.start": _("Write a time like 21:00."),
        "cases.max_open_per_parent": _("Write a whole number from {min} to {max}.").format(
            min=1, max=10
        ),
        "urgent.everyone_after": _("Write a duration like 30m, 4h or 2d."),
        "follow_ups.satisfaction_after": _("Write a duration like 30m, 4h or 2d."),
        "flood.per": _("Write a duration longer than 0s, like 1m."),
        "matching.preferred_gender.safety": _("Choose one from the list."),
        "console": errors["console"],
    }
    assert errors["console"] and "session_max" not in errors["console"]  # not pydantic's words
    # the ladder out of order, and a repeat of nothing: at the fieldset and at the field
    values = shown(settings) | {"urgent.everyone_after": "30h", "urgent.breach_repeat": "0s"}
    _result, errors = read_form(WORDS, settings, values)
    assert errors == {
        "urgent": _(
            "The steps must come in this order: everyone, then a coordinator, then the breach."
        ),
        "urgent.breach_repeat": _("Write a duration longer than 0s, like 1m."),
    }
    # a name over two lines, or far too long
    for name in ("Tussen\nIn", "x" * 300):
        _result, errors = read_form(WORDS, settings, shown(settings) | {"organisation.name": name})
        assert list(errors) == ["organisation.name"]


# --- in the browser ------------------------------------------------------------------------


async def test_a_bad_setting_stays_at_its_field_and_a_good_one_is_served_at_once(
    console_bot: ConsoleBot, page: Page
) -> None:
    core = console_bot.telegram.core
    [(first, source, by)] = await published(console_bot)
    assert source == "files" and by is None
    await console_bot.log_in(page)
    await page.get_by_role("link", name=_("Settings"), exact=True).click()
    await page.wait_for_url(f"{console_bot.base}/console/settings")
    await expect(page.get_by_role("heading", level=1)).to_have_text(_("Settings"))
    await expect(field(page, "urgent.everyone_after")).to_have_value("4h")
    await expect(field(page, "quiet_hours.start")).to_have_value("21:00")
    await expect(field(page, "organisation.name")).to_have_value("Tussen In")
    for key in FIELDS:  # every field has its label
        label = page.locator(f'label[for="{FIELDS[key].id}"]')
        await expect(label).to_have_count(1)
        assert (await label.inner_text()).strip()
    history = page.get_by_role("row").filter(has=version_link(page, first))
    await expect(history).to_have_count(1)
    await screenshot(page, "settings")

    # a duration in words: refused at its field, what was typed kept, nothing published
    await field(page, "urgent.everyone_after").fill("4 uur")
    await page.get_by_role("button", name=_("Save the settings")).click()
    everyone = field(page, "urgent.everyone_after")
    await expect(everyone).to_have_attribute("aria-invalid", "true")
    await expect(everyone).to_have_value("4 uur")
    error = page.locator("#s-urgent-everyone_after-error")
    await expect(error).to_be_visible()
    assert (await error.inner_text()).strip()
    described = await everyone.get_attribute("aria-describedby") or ""
    assert "s-urgent-everyone_after-error" in described.split()
    await expect(page.locator("[aria-invalid=true]")).to_have_count(1)  # only that field
    await expect(page.locator("#s-errors a[href='#s-urgent-everyone_after']")).to_have_count(1)
    assert len(await published(console_bot)) == 1
    assert core.coordinator.current.urgent.everyone_after == timedelta(hours=4)

    # corrected, and the quiet hours start earlier: published, served by the bot at once
    await everyone.fill("5h")
    await field(page, "quiet_hours.start").fill("20:00")
    await page.get_by_role("button", name=_("Save the settings")).click()
    [_first, (second, source, by)] = await published(console_bot)
    [(sanne,)] = await console_bot.query("SELECT id FROM person WHERE name = 'Sanne de Vries'")
    assert (source, by) == ("console", sanne)
    await page.wait_for_url(f"{console_bot.base}/console/settings?saved={second}&moved=0")
    await expect(page.locator(".notice")).to_contain_text(str(second))
    assert core.coordinator.current.urgent.everyone_after == timedelta(hours=5)
    assert core.coordinator.current.quiet_hours.start == time(20, 0)
    assert core.published_settings.applied == second
    await expect(field(page, "urgent.everyone_after")).to_have_value("5h")
    await expect(page.locator("[aria-invalid=true]")).to_have_count(0)
    row = page.get_by_role("row").filter(has=version_link(page, second))
    await expect(row).to_contain_text("Sanne de Vries")
    await expect(row).to_contain_text(_("the console"))
    await expect(row).to_contain_text(_("in use"))
    older = page.get_by_role("row").filter(has=version_link(page, first))
    await expect(older).to_contain_text(_("the files"))
    audited = await console_bot.query(
        "SELECT person_id, target, detail FROM staff_audit WHERE action = 'settings'"
    )
    assert audited == [(sanne, f"version {second}", "quiet_hours, urgent")]

    # the version's text, read-only
    await row.get_by_role("link").click()
    await page.wait_for_url(f"{console_bot.base}/console/settings/versions/{second}")
    text = page.locator("pre#settings-text")
    await expect(text).to_contain_text("everyone_after: 5h")
    await expect(text).to_contain_text("start: '20:00'")
    await expect(page.locator("textarea, input:not([type=hidden]), select")).to_have_count(0)
    await screenshot(page, "settings-version")

    # the ladder out of order: at the urgent fieldset, nothing published
    await page.goto(f"{console_bot.base}/console/settings")
    await field(page, "urgent.everyone_after").fill("30h")
    await page.get_by_role("button", name=_("Save the settings")).click()
    fieldset = page.locator("fieldset#s-urgent")
    await expect(fieldset).to_have_attribute("aria-invalid", "true")
    ladder = fieldset.locator("#s-urgent-error")
    await expect(ladder).to_have_text(
        _("The steps must come in this order: everyone, then a coordinator, then the breach.")
    )
    await expect(field(page, "urgent.everyone_after")).to_have_value("30h")
    assert len(await published(console_bot)) == 2
    assert core.coordinator.current.urgent.everyone_after == timedelta(hours=5)

    # no language at all
    await field(page, "urgent.everyone_after").fill("5h")
    for box in await page.locator('input[name="languages"]').all():
        await box.uncheck()
    await page.get_by_role("button", name=_("Save the settings")).click()
    await expect(page.locator("#s-languages-error")).to_have_text(
        _("Choose at least one language.")
    )
    assert len(await published(console_bot)) == 2


async def test_a_form_left_open_while_someone_else_saved_is_refused(
    console_bot: ConsoleBot, page: Page
) -> None:
    core = console_bot.telegram.core
    await console_bot.log_in(page)
    await page.goto(f"{console_bot.base}/console/settings")
    await field(page, "flood.burst").fill("12")

    # meanwhile another coordinator (or the file on the server) publishes a change
    changed = core.coordinator.current.model_copy(
        update={
            "cases": core.coordinator.current.cases.model_copy(update={"max_open_per_parent": 3})
        }
    )
    [(sanne,)] = await console_bot.query("SELECT id FROM person WHERE name = 'Sanne de Vries'")
    async with core.database.transaction() as uow:
        other = await core.published_settings.publish(
            uow, settings_text(changed), sanne, core.clock.now()
        )
    assert other.version is not None

    await page.get_by_role("button", name=_("Save the settings")).click()
    await expect(page.locator(".warning")).to_contain_text(str(other.version))
    await expect(field(page, "flood.burst")).to_have_value("12")  # kept, not saved
    assert len(await published(console_bot)) == 2
    assert core.coordinator.current.cases.max_open_per_parent == 3

    # saved again, knowingly: the form had the old number of questions, which now wins
    await page.get_by_role("button", name=_("Save the settings")).click()
    await page.wait_for_url(re.compile(r"/console/settings\?saved=\d+&moved=0$"))
    assert len(await published(console_bot)) == 3
    assert core.coordinator.current.flood.burst == 12
    assert core.coordinator.current.cases.max_open_per_parent == 2

    # saving what is already in use makes no new version
    await page.get_by_role("button", name=_("Save the settings")).click()
    await page.wait_for_url(f"{console_bot.base}/console/settings?unchanged=1")
    assert len(await published(console_bot)) == 3

    # a version that does not exist
    response = await page.goto(f"{console_bot.base}/console/settings/versions/999999")
    assert response is not None and response.status == 404
