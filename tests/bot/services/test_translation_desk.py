"""The translation desk on the published catalogs: coverage and review state per language;
texts filtered (untranslated, fuzzy, not reviewed, a search) with their Dutch and English;
a save checked as `i18n check` checks it (a dropped placeholder refused, at its plural form)
and otherwise served at once, the code's words and the flows' texts alike; a text and a
whole language marked reviewed, who and when; an edited text needs its review again."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from bot.catalog_checks import reviewed
from bot.i18n import LOCALES_DIR, Catalogs
from bot.services.clock import ManualClock
from bot.services.flow_library import FlowLibrary
from bot.services.languages import LANGUAGES
from bot.services.published_catalogs import KIND, PublishedCatalogs
from bot.services.translation_desk import (
    Key,
    Review,
    TranslationDesk,
    read_catalog_text,
    write_catalog_text,
)
from bot.settings import DEFAULT_FLOWS_DIR
from storage import Database
from tests.bot.services.test_cases import NOW

HELLO = Key(
    "welcome:hello:say.0",
    "Welkom. We vragen je naam niet. Niets gaat verder zonder jouw ja. Stoppen kan altijd.",
)
HELLO_EN = "Welcome. We don't ask your name. Nothing is shared without your yes. Stop any time."
WORD = Key(None, "Vertrouwenspersonen:")
WELCOME = Key(None, "Welcome, {name}. You are now registered as a coordinator.")
URGENT = Key(
    None,
    "Urgent question {alias} ({language}): offered to {count} vertrouwenspersoon. /urgent shows "
    "its clock.",
)
ENABLED = ["nl", "ar", "tr"]
SANNE = 7


def _locales(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(LOCALES_DIR, folder, ignore=shutil.ignore_patterns("*.mo"))
    return folder


def _instance(locales: Path, database: Database) -> PublishedCatalogs:
    catalogs = Catalogs(ENABLED, locales_dir=locales)
    rtl = frozenset(code for code, language in LANGUAGES.items() if language.rtl)
    flows = FlowLibrary(DEFAULT_FLOWS_DIR, lambda: ENABLED, rtl, locales=locales)
    return PublishedCatalogs(catalogs, flows, database, ManualClock(NOW), locales=locales)


async def _started(tmp_path: Path, database: Database) -> tuple[PublishedCatalogs, TranslationDesk]:
    instance = _instance(_locales(tmp_path, "one"), database)
    await instance.start()
    return instance, TranslationDesk(instance)


async def _versions(database: Database, code: str) -> int:
    async with database.transaction() as uow:
        return len(await uow.published.history(KIND, code))


async def test_languages_and_texts_with_their_dutch_and_english(
    database: Database, tmp_path: Path
) -> None:
    instance, desk = await _started(tmp_path, database)
    async with database.transaction() as uow:
        states = await desk.languages(uow)
        assert [s.code for s in states] == list(LANGUAGES)
        arabic = next(s for s in states if s.code == "ar")
        assert arabic.rtl and arabic.percent == 100 and arabic.total > 300
        assert (arabic.untranslated, arabic.fuzzy, arabic.review) == (0, 0, None)
        assert arabic.unreviewed == arabic.total  # nobody reviewed a text yet
        # a flow text: Dutch msgid, its English from the en catalog
        [hello] = await desk.entries(uow, "ar", query="welkom. we vragen")
        assert hello.key == HELLO and hello.flow
        assert hello.dutch == (HELLO.msgid,) and hello.english == (HELLO_EN,)
        assert hello.text == (instance._flows.current.text("ar", HELLO.context, HELLO.msgid),)
        assert hello.where == ("flow welcome, node hello",)
        # the code's words: English msgid, its Dutch from the nl catalog
        [word] = [e for e in await desk.entries(uow, "ar", query=WORD.msgid) if e.key == WORD]
        assert not word.flow and word.english == (WORD.msgid,)
        assert word.dutch == ("Vertrouwenspersonen:",) and word.text == ("الأشخاص الموثوقون:",)
        # a plural entry: both English forms, the two Dutch ones, and Arabic's six forms
        [urgent] = [e for e in await desk.entries(uow, "ar", query="/urgent shows") if e.plural]
        assert urgent.key == URGENT and len(urgent.english) == len(urgent.dutch) == 2
        assert len(urgent.text) == 6 and all(urgent.text)
        assert urgent.examples[:3] == ((0,), (1,), (2,)) and urgent.examples[3][0] == 3
        # the search finds the translation too; the flows' texts come first
        assert [e.key for e in await desk.entries(uow, "ar", query="الأشخاص الموثوقون:")] == [WORD]
        everything = await desk.entries(uow, "ar")
        assert everything[0].flow and not everything[-1].flow
        assert len(everything) == arabic.total
        found = await desk.entry(uow, "ar", HELLO.id)
        assert found is not None and found.key == HELLO
        assert await desk.entry(uow, "ar", "t-0000") is None


async def test_the_filters(database: Database, tmp_path: Path) -> None:
    instance, desk = await _started(tmp_path, database)
    async with database.transaction() as uow:
        catalog = read_catalog_text(await instance.newest_text(uow, "tr"), "tr")
        hello = catalog.get(HELLO.msgid, context=HELLO.context)
        hello.flags.add("fuzzy")  # its Dutch changed: the old translation waits for a check
        word = catalog.get(WORD.msgid)
        word.string = ""
        published = await instance.publish(uow, "tr", write_catalog_text(catalog), None, NOW)
        assert published.version is not None
    async with database.transaction() as uow:
        assert [e.key for e in await desk.entries(uow, "tr", "fuzzy")] == [HELLO]
        assert [e.key for e in await desk.entries(uow, "tr", "untranslated")] == [WORD]
        turkish = await desk.language(uow, "tr")
        assert (turkish.fuzzy, turkish.untranslated) == (1, 1)
        assert turkish.translated == turkish.total - 2
        await desk.mark_reviewed(uow, "tr", WELCOME, SANNE, NOW)
    async with database.transaction() as uow:
        unreviewed = await desk.entries(uow, "tr", "unreviewed")
        assert WELCOME not in [e.key for e in unreviewed]
        assert len(unreviewed) == turkish.total - 1
        assert [e.key for e in await desk.entries(uow, "tr", "fuzzy", "nothing like it")] == []


async def test_a_dropped_placeholder_is_refused_and_nothing_published(
    database: Database, tmp_path: Path
) -> None:
    instance, desk = await _started(tmp_path, database)
    before = instance._catalogs.translator("ar").gettext(WELCOME.msgid)
    async with database.transaction() as uow:
        outcome = await desk.save(uow, "ar", WELCOME, ["أهلًا بكم. تم تسجيلكم."], SANNE, NOW)
    [problem] = outcome.problems
    assert outcome.version is None
    assert (problem.kind, problem.form, problem.expected, problem.found) == (
        "placeholders",
        None,
        ("{name}",),
        (),
    )
    # numbers, a Latin text in Arabic, an empty text: each of its kind
    async with database.transaction() as uow:
        numbers = await desk.save(uow, "ar", WELCOME, ["أهلًا {name} 112"], SANNE, NOW)
        latin = await desk.save(uow, "ar", WELCOME, ["Hello there, {name}, welcome"], SANNE, NOW)
        empty = await desk.save(uow, "ar", WELCOME, ["  "], SANNE, NOW)
    assert [p.kind for p in numbers.problems] == ["numbers"]
    assert numbers.problems[0].found == ("112",)
    assert [(p.kind, p.script) for p in latin.problems] == [("script", "arabic")]
    assert [p.kind for p in empty.problems] == ["empty"]
    # a plural form: {count} may be spelled out in the form for one, {alias} may not go
    async with database.transaction() as uow:
        urgent = await desk.entry(uow, "ar", URGENT.id)
        assert urgent is not None
        forms = list(urgent.text)
        forms[1] = "سؤال عاجل: عُرض على شخص موثوق واحد. يعرض /urgent الوقت."
        plural = await desk.save(uow, "ar", URGENT, forms, SANNE, NOW)
    assert [(p.kind, p.form) for p in plural.problems] == [("placeholders", 1)]
    assert plural.problems[0].expected == ("{alias}", "{count}", "{language}")
    assert await _versions(database, "ar") == 1
    assert instance._catalogs.translator("ar").gettext(WELCOME.msgid) == before
    async with database.transaction() as uow:
        unknown = await desk.save(uow, "ar", Key(None, "No such text"), ["x"], SANNE, NOW)
    assert [p.kind for p in unknown.problems] == ["unknown"]


async def test_a_saved_translation_is_served_at_once(database: Database, tmp_path: Path) -> None:
    instance, desk = await _started(tmp_path, database)
    new_hello = "أهلًا وسهلًا بكم. لا نسألكم عن اسمكم."
    async with database.transaction() as uow:
        was = (await desk.entry(uow, "ar", HELLO.id)).text  # type: ignore[union-attr]
        outcome = await desk.save(uow, "ar", HELLO, [new_hello + "\r\n"], SANNE, NOW, was=was)
    assert outcome.version is not None and not outcome.problems
    assert outcome.entry is not None and outcome.entry.text == (new_hello,)
    assert instance._flows.current.text("ar", HELLO.context, HELLO.msgid) == new_hello
    async with database.transaction() as uow:
        welcome = await desk.save(uow, "ar", WELCOME, ["مرحبًا {name}، أنتم منسّق الآن."], 7, NOW)
    assert welcome.version is not None
    served = instance._catalogs.translator("ar").gettext(WELCOME.msgid)
    assert served == "مرحبًا {name}، أنتم منسّق الآن."
    # a plural entry, form by form
    async with database.transaction() as uow:
        urgent = await desk.entry(uow, "ar", URGENT.id)
        assert urgent is not None
        forms = list(urgent.text)
        forms[5] = "السؤال العاجل {alias} ({language}): عُرض على {count} شخص موثوق. /urgent"
        saved = await desk.save(uow, "ar", URGENT, forms, SANNE, NOW)
    assert saved.version is not None
    plural = URGENT.msgid.replace("vertrouwenspersoon.", "vertrouwenspersonen at once.")
    assert urgent.examples[5][0] == 11
    assert instance._catalogs.translator("ar").ngettext(URGENT.msgid, plural, 11) == forms[5]
    # the same text again: nothing new published; a text changed meanwhile: refused
    async with database.transaction() as uow:
        again = await desk.save(uow, "ar", HELLO, [new_hello], SANNE, NOW)
        stale = await desk.save(uow, "ar", HELLO, ["أهلًا"], SANNE, NOW, was=was)
    assert again.unchanged
    assert [p.kind for p in stale.problems] == ["changed"]
    assert await _versions(database, "ar") == 4
    audited = await _audit(database)
    assert audited == [
        (SANNE, "translate", "ar", HELLO.context),
        (SANNE, "translate", "ar", WELCOME.msgid),
        (SANNE, "translate", "ar", URGENT.short),
    ]
    assert len(URGENT.short) <= 80 and URGENT.short.startswith("Urgent question {alias}")


async def test_a_text_and_a_language_are_reviewed_and_an_edit_needs_review_again(
    database: Database, tmp_path: Path
) -> None:
    instance, desk = await _started(tmp_path, database)
    async with database.transaction() as uow:
        assert not (await desk.mark_reviewed(uow, "ar", HELLO, SANNE, NOW)).problems
    async with database.transaction() as uow:
        hello = await desk.entry(uow, "ar", HELLO.id)
        text = await instance.newest_text(uow, "ar")
    assert hello is not None and hello.review == Review(SANNE, date(2026, 11, 23))
    assert "# reviewed-by: 7 2026-11-23\n" in text
    # a second review replaces the first; an edit takes it away
    later = NOW.replace(day=25)
    async with database.transaction() as uow:
        await desk.mark_reviewed(uow, "ar", HELLO, 8, later)
        hello = await desk.entry(uow, "ar", HELLO.id)
        assert hello is not None and hello.review == Review(8, date(2026, 11, 25))
        assert (await instance.newest_text(uow, "ar")).count("reviewed-by:") == 1
        await desk.save(uow, "ar", HELLO, ["أهلًا بكم من جديد."], SANNE, later)
        hello = await desk.entry(uow, "ar", HELLO.id)
        assert hello is not None and hello.review is None
        assert "reviewed-by:" not in await instance.newest_text(uow, "ar")
    # the whole language: the header says who and when, and `i18n status` reads it as yes
    async with database.transaction() as uow:
        assert (await desk.language(uow, "tr")).review is None
        outcome = await desk.mark_reviewed(uow, "tr", None, SANNE, NOW)
        assert outcome.version is not None
        turkish = await desk.language(uow, "tr")
        text = await instance.newest_text(uow, "tr")
    assert turkish.review == Review(SANNE, date(2026, 11, 23))
    assert "# Reviewed by a native speaker: yes (by 7, 2026-11-23)\n" in text
    assert "# Reviewed by a native speaker: no" not in text
    assert reviewed(read_catalog_text(text, "tr"))
    # a fuzzy text cannot be marked: its translation waits for a check first
    async with database.transaction() as uow:
        catalog = read_catalog_text(text, "tr")
        catalog.get(WORD.msgid).flags.add("fuzzy")
        await instance.publish(uow, "tr", write_catalog_text(catalog), None, NOW)
        refused = await desk.mark_reviewed(uow, "tr", WORD, SANNE, NOW)
    assert [p.kind for p in refused.problems] == ["untranslated"]
    assert [row[1:3] for row in await _audit(database)] == [
        ("review", "ar"),
        ("review", "ar"),
        ("translate", "ar"),
        ("review", "tr"),
    ]


async def _audit(database: Database) -> list[tuple[int, str, str, str]]:
    from sqlalchemy import text

    async with database.transaction() as uow:
        rows = await uow._session.execute(
            text("SELECT person_id, action, target, detail FROM staff_audit ORDER BY id")
        )
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows.all()]
