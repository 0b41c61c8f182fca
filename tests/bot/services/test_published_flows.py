"""The flows live in the database: the files seed an empty one; a flow published on one
instance is served by the others with its texts merged into the catalogs (an edited text
keeps its old translation, fuzzy); a rollback brings the old text and its translation back;
a flow file whose content is new is published "from files" and wins, while an untouched
one never undoes a console edit; a broken flow is never published."""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, Catalogs
from bot.services.clock import ManualClock
from bot.services.flow_library import FlowLibrary
from bot.services.languages import LANGUAGES
from bot.services.published_catalogs import PublishedCatalogs
from bot.services.published_flows import KIND, PublishedFlows
from bot.settings import DEFAULT_FLOWS_DIR
from flows import engine
from storage import Database
from storage.published import CONSOLE, FILES, content_hash
from tests.bot.services.test_cases import NOW
from tests.flows.hostile import huge

ENABLED = ["nl", "ar"]
ASK = "ask.yaml"
CONTEXT = "ask:topic:say.0"
OLD = "Waar gaat je vraag over?"
NEW = "Waar gaat jouw vraag over?"
OLD_ARABIC = "بماذا يتعلق سؤالكم؟"


def _folders(tmp_path: Path, name: str) -> tuple[Path, Path]:
    flows, locales = tmp_path / name / "flows", tmp_path / name / "locales"
    shutil.copytree(DEFAULT_FLOWS_DIR, flows)
    shutil.copytree(LOCALES_DIR, locales, ignore=shutil.ignore_patterns("*.mo"))
    return flows, locales


async def _instance(tmp_path: Path, name: str, database: Database) -> PublishedFlows:
    """One bot's flows and catalogs, started on the database, each with its own files."""
    flows_dir, locales = _folders(tmp_path, name)
    rtl = frozenset(code for code, language in LANGUAGES.items() if language.rtl)
    library = FlowLibrary(flows_dir, lambda: ENABLED, rtl, locales=locales)
    clock = ManualClock(NOW)
    catalogs = PublishedCatalogs(
        Catalogs(ENABLED, locales_dir=locales), library, database, clock, locales=locales
    )
    await catalogs.start()
    published = PublishedFlows(library, catalogs, database, clock)
    await published.start()
    return published


def _asked(instance: PublishedFlows, lang: str) -> str:
    """What a parent starting the question flow reads first, in `lang`."""
    return engine.begin(instance._library.current, "ask", lang, NOW).outputs[0].text


def _edited(instance: PublishedFlows, old: str, new: str) -> str:
    text = instance.served[ASK]
    assert old in text
    return text.replace(old, new)


async def _publish(
    instance: PublishedFlows, database: Database, text: str, source: str = CONSOLE
) -> dict[str, int]:
    draft = await instance.prepare({ASK: text})
    async with database.transaction() as uow:
        published = await instance.publish(uow, draft, 1, NOW, source)
    assert published.errors == [], published.errors
    return published.versions


async def test_a_flow_published_on_one_instance_is_served_by_the_others(
    database: Database, tmp_path: Path
) -> None:
    first = await _instance(tmp_path, "first", database)
    second = await _instance(tmp_path, "second", database)
    async with database.transaction() as uow:
        seeded = await uow.published.newest_of_each(KIND)
    files = sorted(p.name for p in DEFAULT_FLOWS_DIR.glob("*.yaml") if p.name != "settings.yaml")
    assert sorted(seeded) == files and {v.source for v in seeded.values()} == {FILES}
    assert _asked(first, "nl") == OLD == _asked(second, "nl")

    versions = await _publish(first, database, _edited(first, OLD, NEW))
    assert list(versions) == [ASK]
    assert _asked(first, "nl") == NEW  # this instance at once
    await second._catalogs.follow()
    await second.follow()
    assert _asked(second, "nl") == NEW
    # Arabic keeps the old translation, marked fuzzy, until a translator looks again.
    assert _asked(second, "ar") == OLD_ARABIC
    catalog = second._library.catalog_texts["ar"]
    entry = read_po(_bytes(catalog)).get(NEW, context=CONTEXT)
    assert entry is not None and entry.fuzzy and entry.string == OLD_ARABIC

    # A restart on the same (untouched) files serves what was published.
    restarted = await _instance(tmp_path, "restarted", database)
    assert _asked(restarted, "nl") == NEW and restarted.from_files == {}


async def test_a_rollback_brings_the_old_text_and_its_translation_back(
    database: Database, tmp_path: Path
) -> None:
    instance = await _instance(tmp_path, "one", database)
    async with database.transaction() as uow:
        [original] = await uow.published.history(KIND, ASK)
    await _publish(instance, database, _edited(instance, OLD, NEW))
    draft = await instance.prepare({ASK: original.content})
    async with database.transaction() as uow:
        rolled = await instance.publish(uow, draft, 1, NOW)
    assert rolled.errors == [] and list(rolled.versions) == [ASK]
    assert _asked(instance, "nl") == OLD and _asked(instance, "ar") == OLD_ARABIC
    entry = read_po(_bytes(instance._library.catalog_texts["ar"])).get(OLD, context=CONTEXT)
    assert entry is not None and not entry.fuzzy  # as translated before, not a guess
    async with database.transaction() as uow:
        history = await uow.published.history(KIND, ASK)
    assert history[0].content_hash == original.content_hash and len(history) == 3


async def test_a_broken_flow_is_never_published_and_says_where(
    database: Database, tmp_path: Path
) -> None:
    instance = await _instance(tmp_path, "one", database)
    broken = _edited(
        instance,
        "        goto: question\n        do: [set: {topic: school}]",
        "        goto: nowhere\n        do: [set: {topic: school}]",
    )
    draft = await instance.prepare({ASK: broken})
    assert draft.flows is None
    async with database.transaction() as uow:
        published = await instance.publish(uow, draft, 1, NOW)
    assert published.versions == {}
    [error] = published.errors
    assert error.file == ASK and "nowhere" in error.message
    assert error.node == "topic" and error.line is not None
    assert broken.splitlines()[error.line - 1].strip() == "goto: nowhere"  # the exit's own line
    not_yaml = await _problems(instance, database, "nodes: [\n")
    assert not_yaml[0].line == 2 and "not valid YAML" in not_yaml[0].message
    async with database.transaction() as uow:
        assert len(await uow.published.history(KIND, ASK)) == 1
    assert _asked(instance, "nl") == OLD


async def _problems(instance: PublishedFlows, database: Database, text: str) -> list:  # type: ignore[type-arg]
    draft = await instance.prepare({ASK: text})
    async with database.transaction() as uow:
        return (await instance.publish(uow, draft, 1, NOW)).errors


async def test_a_changed_file_wins_and_an_untouched_one_never_undoes_an_edit(
    database: Database, tmp_path: Path
) -> None:
    instance = await _instance(tmp_path, "one", database)
    await _publish(instance, database, _edited(instance, OLD, NEW))
    # Untouched files, another start: the console's version stays.
    again = await _instance(tmp_path, "two", database)
    assert _asked(again, "nl") == NEW
    # The file changed (an operator's edit, noticed every second): published from files.
    ask = again._library.folder / ASK
    from_file = ask.read_text(encoding="utf-8").replace(OLD, "Waarover wil je iets vragen?")
    ask.write_text(from_file, encoding="utf-8")
    await again.follow()
    assert _asked(again, "nl") == "Waarover wil je iets vragen?"
    await instance.follow()
    assert _asked(instance, "nl") == "Waarover wil je iets vragen?"
    async with database.transaction() as uow:
        newest = await uow.published.newest(KIND, ASK)
    assert newest is not None and newest.source == FILES
    assert newest.content_hash == content_hash(from_file)


async def test_a_huge_file_is_noticed_by_stat_and_refused_unread(
    database: Database, tmp_path: Path
) -> None:
    instance = await _instance(tmp_path, "one", database)
    before = instance._library.current
    huge(instance._library.folder / "fifty.yaml", 50 * 1024 * 1024)
    tracemalloc.start()
    try:
        await instance.follow()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert instance._library.current is before
    assert peak < 5 * 1024 * 1024  # stamp and refusal from stat: the file is never read
    async with database.transaction() as uow:
        assert "fifty.yaml" not in await uow.published.newest_of_each(KIND)


def _bytes(text: str):  # type: ignore[no-untyped-def]
    import io

    return io.BytesIO(text.encode("utf-8"))
