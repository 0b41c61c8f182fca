"""Two instances of the bot on one PostgreSQL database: settings, flows and translations
published on one are served by the other within seconds, and by both after a restart; a
changed flow file published by `flows reload` wins over the console's version; and the
exports seed a fresh database to the same content hashes."""

from __future__ import annotations

import asyncio
import shutil
import time as clock
import uuid
from collections.abc import Callable
from datetime import time
from pathlib import Path

from bot.i18n import Catalogs
from bot.services.clock import SystemClock
from bot.services.flow_library import FlowLibrary
from bot.services.languages import LANGUAGES
from bot.services.published_catalogs import KIND as CATALOG_KIND
from bot.services.published_catalogs import PublishedCatalogs
from bot.services.published_flows import KIND as FLOW_KIND
from bot.services.published_settings import KIND as SETTINGS_KIND
from bot.settings import DEFAULT_FLOWS_DIR
from bot.telegram import TelegramBot
from flows import engine
from storage import Database
from tests.bot.services.test_cases import NOW
from tests.botapi import FakeBotApi
from tests.conftest import _admin
from tests.live import (
    CLI_TIMEOUT,
    cli_settings,
    live_bot,
    migrated,
    run_cli,
    settings_for,
    start_cli,
)

DEADLINE_SECONDS = 5.0


async def test_a_setting_published_on_one_instance_is_served_by_the_other(
    postgres_url: str, tmp_path: Path
) -> None:
    url = await migrated(postgres_url)
    async with FakeBotApi() as api:
        async with (
            live_bot(settings_for(api, url, webhook=True)) as first,
            live_bot(settings_for(api, url, webhook=True)) as second,
        ):
            text = first.core.coordinator.text.replace('  start: "21:00"', '  start: "19:45"')
            assert text != first.core.coordinator.text
            async with first.core.database.transaction() as uow:
                published = await first.core.published_settings.publish(
                    uow, text, person_id=1, now=first.core.clock.now()
                )
            assert published.version is not None
            began = clock.monotonic()
            while second.core.coordinator.current.quiet_hours.start != time(19, 45):
                assert clock.monotonic() - began < DEADLINE_SECONDS, "not served in 5 s"
                await asyncio.sleep(0.1)
            took = clock.monotonic() - began
        # both restart, on the files they started with: the published version stays
        async with live_bot(settings_for(api, url, webhook=True)) as restarted:
            assert restarted.core.coordinator.current.quiet_hours.start == time(19, 45)
    assert took < DEADLINE_SECONDS


ASK = "ask.yaml"
TOPIC = "ask:topic:say.0"
OLD = "Waar gaat je vraag over?"
NEW = "Waar gaat jouw vraag over?"
FROM_FILE = "Waarover wil je iets vragen?"
WORD = "Vertrouwenspersonen:"  # a staff word of the code
ARABIC_WORD = "الموثوقون (جديد):"


def _asked(bot: TelegramBot, lang: str) -> str:
    """What a parent starting the question flow reads first, on that instance."""
    return engine.begin(bot.core.flows.current, "ask", lang, NOW).outputs[0].text


def _word(bot: TelegramBot) -> str:
    return bot.core.catalogs.translator("ar").gettext(WORD)


def _edited_catalog(text: str, msgid: str, new: str) -> str:
    lines = text.split("\n")
    at = lines.index(f'msgid "{msgid}"')
    lines[at + 1] = f'msgstr "{new}"'
    return "\n".join(lines)


async def _served_within(condition: Callable[[], bool]) -> float:
    began = clock.monotonic()
    while not condition():
        assert clock.monotonic() - began < DEADLINE_SECONDS, "not served in 5 s"
        await asyncio.sleep(0.1)
    return clock.monotonic() - began


async def _hashes(url: str) -> dict[tuple[str, str], str]:
    """The content hash of every newest published version: (kind, name) → hash."""
    database = Database(url)
    try:
        async with database.transaction() as uow:
            found = {}
            for kind in (FLOW_KIND, CATALOG_KIND, SETTINGS_KIND):
                newest = await uow.published.newest_of_each(kind)
                found |= {(kind, name): v.content_hash for name, v in newest.items()}
            return found
    finally:
        await database.dispose()


def _flows_folder(tmp_path: Path, name: str) -> Path:
    """Each instance has files of its own, as on two machines."""
    folder = tmp_path / name
    shutil.copytree(DEFAULT_FLOWS_DIR, folder)
    return folder


async def test_a_flow_and_a_translation_follow_and_a_changed_file_wins_then_exports_seed(
    postgres_url: str, tmp_path: Path
) -> None:
    url = await migrated(postgres_url)
    one, two = _flows_folder(tmp_path, "one"), _flows_folder(tmp_path, "two")
    async with FakeBotApi() as api:
        async with (
            live_bot(settings_for(api, url, webhook=True, flows_dir=one)) as first,
            live_bot(settings_for(api, url, webhook=True, flows_dir=two)) as second,
        ):
            core = first.core
            flow = core.published_flows.served[ASK].replace(OLD, NEW)
            draft = await core.published_flows.prepare({ASK: flow})
            async with core.database.transaction() as uow:
                flowed = await core.published_flows.publish(uow, draft, 1, core.clock.now())
                catalog = await core.published_catalogs.newest_text(uow, "ar")
                worded = await core.published_catalogs.publish(
                    uow, "ar", _edited_catalog(catalog, WORD, ARABIC_WORD), 1, core.clock.now()
                )
            assert flowed.errors == [] and worded.version is not None
            took = await _served_within(
                lambda: _asked(second, "nl") == NEW and _word(second) == ARABIC_WORD
            )
        # both restart, on their own untouched files: the published versions stay
        async with (
            live_bot(settings_for(api, url, webhook=True, flows_dir=one)) as first,
            live_bot(settings_for(api, url, webhook=True, flows_dir=two)) as second,
        ):
            for bot in (first, second):
                assert (_asked(bot, "nl"), _word(bot)) == (NEW, ARABIC_WORD)
            # An operator changes a flow file in a checkout of their own (no bot watches it;
            # a bot's watcher would publish it by itself) and runs `flows reload`.
            operator = _flows_folder(tmp_path, "operator")
            (operator / ASK).write_text(
                (operator / ASK).read_text(encoding="utf-8").replace(OLD, FROM_FILE),
                encoding="utf-8",
            )
            process = await start_cli(
                tmp_path, "flows", "reload", **cli_settings(api, url, FLOWS_DIR=str(operator))
            )
            out, err = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT)
            assert process.returncode == 0, err.decode()
            assert f"published from files: {ASK}" in out.decode()
            await _served_within(lambda: _asked(first, "nl") == FROM_FILE == _asked(second, "nl"))
            # Arabic keeps its translation of the old text meanwhile, marked for a check.
            assert _asked(second, "ar") == _asked(first, "ar") != FROM_FILE

        # The exports seed a fresh database to the same content hashes.
        flows_out, locales_out = tmp_path / "flows-export", tmp_path / "locales-export"
        settings = cli_settings(api, url, FLOWS_DIR=str(one))
        for command in (("flows", "export", str(flows_out)), ("i18n", "export", str(locales_out))):
            code, err_text = await run_cli(tmp_path, *command, **settings)
            assert code == 0, err_text
    published = await _hashes(url)
    name = f"tussenin_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    fresh = await migrated(f"{url.rsplit('/', 1)[0]}/{name}")
    try:
        await _seed_catalogs(fresh, flows_out, locales_out)
        async with FakeBotApi() as api, live_bot(settings_for(api, fresh, flows_dir=flows_out)):
            pass
        assert await _hashes(fresh) == published
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert took < DEADLINE_SECONDS


async def _seed_catalogs(url: str, flows: Path, locales: Path) -> None:
    """The exported catalogs into the fresh database, as a bot shipped with them would."""
    database = Database(url)
    try:
        rtl = frozenset(code for code, language in LANGUAGES.items() if language.rtl)
        library = FlowLibrary(flows, lambda: list(LANGUAGES), rtl, locales=locales)
        catalogs = Catalogs(list(LANGUAGES), locales_dir=locales)
        await PublishedCatalogs(catalogs, library, database, SystemClock(), locales).start()
    finally:
        await database.dispose()
