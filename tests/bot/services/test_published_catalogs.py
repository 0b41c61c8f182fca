"""The catalogs live in the database: the files seed an empty one, a translation published
on one instance is served by the others (the bot's words and the flows' texts), a restart
keeps it, a new release's texts are added to what was published, and an edited .po file is
published like any other change."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bot.i18n import LOCALES_DIR, Catalogs
from bot.services.clock import ManualClock
from bot.services.flow_library import FlowLibrary
from bot.services.languages import LANGUAGES
from bot.services.published_catalogs import KIND, PublishedCatalogs
from bot.settings import DEFAULT_FLOWS_DIR
from storage import Database
from storage.published import content_hash
from tests.bot.services.test_cases import NOW

HELLO = "welcome:hello:say.0"
HELLO_NL = "Welkom. We vragen je naam niet. Niets gaat verder zonder jouw ja. Stoppen kan altijd."
WORD = "Vertrouwenspersonen:"  # a staff word of the code
ENABLED = ["nl", "ar"]


def _locales(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(LOCALES_DIR, folder, ignore=shutil.ignore_patterns("*.mo"))
    return folder


def _instance(locales: Path, database: Database) -> PublishedCatalogs:
    catalogs = Catalogs(ENABLED, locales_dir=locales)
    rtl = frozenset(code for code, language in LANGUAGES.items() if language.rtl)
    flows = FlowLibrary(DEFAULT_FLOWS_DIR, lambda: ENABLED, rtl, locales=locales)
    return PublishedCatalogs(catalogs, flows, database, ManualClock(NOW), locales=locales)


def _edited(text: str, msgid: str, new: str) -> str:
    """The catalog text with the translation of `msgid` (one line) replaced by `new`."""
    lines = text.split("\n")
    at = lines.index(f'msgid "{msgid}"')
    assert lines[at + 1].startswith("msgstr ")
    lines[at + 1] = f'msgstr "{new}"'
    return "\n".join(lines)


def _hello(instance: PublishedCatalogs) -> str:
    return instance._flows.current.text("ar", HELLO, HELLO_NL)


def _word(instance: PublishedCatalogs) -> str:
    return instance._catalogs.translator("ar").gettext(WORD)


async def test_a_translation_published_on_one_instance_reaches_the_others(
    database: Database, tmp_path: Path
) -> None:
    one = _instance(_locales(tmp_path, "one"), database)
    two = _instance(_locales(tmp_path, "two"), database)
    await one.start()
    await two.start()
    async with database.transaction() as uow:
        seeded = await uow.published.history(KIND, "ar")
    assert [v.source for v in seeded] == ["files"]
    assert seeded[0].content_hash == content_hash(
        (LOCALES_DIR / "ar/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    )
    before_hello, before_word = _hello(one), _word(one)
    async with database.transaction() as uow:
        text = await one.newest_text(uow, "ar")
        text = _edited(text, HELLO_NL, "مرحبًا (جديد)")
        text = _edited(text, WORD, "الموثوقون (جديد):")
        published = await one.publish(uow, "ar", text, 7, NOW)
    assert published.version is not None
    assert (_hello(one), _word(one)) == ("مرحبًا (جديد)", "الموثوقون (جديد):")
    assert (_hello(two), _word(two)) == (before_hello, before_word)
    await two.follow()
    assert (_hello(two), _word(two)) == ("مرحبًا (جديد)", "الموثوقون (جديد):")
    # a restart on the shipped files keeps what was published
    again = _instance(_locales(tmp_path, "again"), database)
    await again.start()
    assert (_hello(again), _word(again)) == ("مرحبًا (جديد)", "الموثوقون (جديد):")


async def test_a_new_release_adds_its_texts_and_keeps_the_published_ones(
    database: Database, tmp_path: Path
) -> None:
    one = _instance(_locales(tmp_path, "one"), database)
    await one.start()
    async with database.transaction() as uow:
        text = _edited(await one.newest_text(uow, "ar"), WORD, "الموثوقون (جديد):")
        # an older release did not have this text yet
        lines = text.split("\n")
        at = lines.index(f'msgid "{HELLO_NL}"')
        text = "\n".join(lines[: at - 1] + lines[at + 2 :])
        await one.publish(uow, "ar", text, 7, NOW)
    upgraded = _instance(_locales(tmp_path, "upgraded"), database)
    await upgraded.start()
    assert _word(upgraded) == "الموثوقون (جديد):"  # kept
    assert _hello(upgraded) == _hello(_instance(LOCALES_DIR, database))  # back, translated
    async with database.transaction() as uow:
        newest = await uow.published.newest(KIND, "ar")
    assert newest is not None and newest.source == "files" and HELLO_NL in newest.content


async def test_an_edited_po_file_is_published(database: Database, tmp_path: Path) -> None:
    locales = _locales(tmp_path, "one")
    one = _instance(locales, database)
    two = _instance(_locales(tmp_path, "two"), database)
    await one.start()
    await two.start()
    path = locales / "ar" / "LC_MESSAGES" / "messages.po"
    path.write_text(_edited(path.read_text(encoding="utf-8"), WORD, "من الملف:"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    await one.follow()
    await two.follow()
    assert _word(one) == _word(two) == "من الملف:"
    async with database.transaction() as uow:
        newest = await uow.published.newest(KIND, "ar")
    assert newest is not None and newest.source == "files"


async def test_the_export_seeds_a_fresh_database_to_the_same_hashes(
    database_url: str, tmp_path: Path
) -> None:
    from tests.botapi import FakeBotApi
    from tests.live import cli_settings, migrated, run_cli

    url = await migrated(database_url)
    database = Database(url)
    try:
        one = _instance(_locales(tmp_path, "one"), database)
        await one.start()
        async with database.transaction() as uow:
            text = _edited(await one.newest_text(uow, "ar"), WORD, "الموثوقون (جديد):")
            await one.publish(uow, "ar", text, 7, NOW)
            published = {
                code: version.content_hash
                for code in ENABLED
                if (version := await uow.published.newest(KIND, code)) is not None
            }
    finally:
        await database.dispose()
    out = tmp_path / "export"
    async with FakeBotApi() as api:
        code, stderr = await run_cli(tmp_path, "i18n", "export", str(out), **cli_settings(api, url))
    assert code == 0, stderr
    for language, digest in published.items():
        exported = (out / language / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
        assert content_hash(exported) == digest, language
    fresh = Database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    await fresh.upgrade()
    try:
        seeded = _instance(out, fresh)
        await seeded.start()
        assert {code: seeded.served[code] for code in ENABLED} == published
        assert _word(seeded) == "الموثوقون (جديد):"
    finally:
        await fresh.dispose()


async def test_a_catalog_that_loses_its_translations_is_refused(
    database: Database, tmp_path: Path
) -> None:
    locales = _locales(tmp_path, "one")
    one = _instance(locales, database)
    await one.start()
    path = locales / "ar" / "LC_MESSAGES" / "messages.po"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 3], encoding="utf-8")  # cut short
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    before = _word(one)
    await one.follow()
    async with database.transaction() as uow:
        assert len(await uow.published.history(KIND, "ar")) == 1
        refused = await one.publish(uow, "ar", "", 7, NOW)
    assert refused.version is None and refused.problems
    assert _word(one) == before
