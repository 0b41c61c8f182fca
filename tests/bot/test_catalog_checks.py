"""The translation checks: shipped catalogs pass; a wrong script, a changed number, a dropped
command or placeholder each fail; every shipped language is at 100 %."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.catalog_checks import check_catalog, check_entry, coverage, read_catalog, reviewed
from bot.services.languages import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_shipped_catalog_passes_and_is_complete(code: str) -> None:
    catalog = read_catalog(code)
    assert [str(p) for p in check_catalog(code, catalog)] == []
    done, total = coverage(catalog)
    assert done == total > 80
    assert not reviewed(catalog) or code == "nl"  # nobody has claimed a review yet
    assert "Reviewed by a native speaker:" in (catalog.header_comment or "")


@pytest.mark.parametrize(
    ("code", "source", "translation", "expected"),
    [
        ("ar", "Kies een onderwerp", "Choose a topic", "not in arabic script"),
        ("uk", "Kies een onderwerp", "Wybierz temat", "not in cyrillic script"),
        ("ti", "Kies een onderwerp", "Choose a topic", "not in ethiopic script"),
        ("rif", "Kies een onderwerp", "اختر موضوعا", "not in latin script"),
        (
            "tr",
            "Bel Veilig Thuis: 0800-2000",
            "Veilig Thuis'u arayın: 0800-2001",
            "numbers changed",
        ),
        ("pl", "Bel 112 of 113", "Zadzwoń pod 112", "numbers changed"),
        ("so", "Stuur /stop", "Dir stop", "commands changed"),
        ("en", "Hallo {name}", "Hello", "placeholders changed"),
    ],
)
def test_each_kind_of_bad_translation_fails(
    code: str, source: str, translation: str, expected: str
) -> None:
    problems = check_entry(code, "ask:topic:say.0", source, translation)
    assert any(expected in str(p) for p in problems), problems


def test_plural_forms_where_babel_is_wrong() -> None:
    assert read_catalog("ti").plural_forms == "nplurals=2; plural=(n > 1);"
    assert read_catalog("rif").plural_forms == "nplurals=2; plural=(n != 1);"


def test_status_shows_every_language_at_100() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "i18n", "status"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    *lines, voice = done.stdout.strip().splitlines()
    assert voice.startswith("voice prompts: ")  # where the recorded ones were read, or not
    assert [line.split()[0] for line in lines] == list(LANGUAGES)
    assert all(re.match(r"^\S+\s+100%", line) for line in lines), done.stdout
    assert all(line.count("100%") == 8 for line in lines)  # overall, and each of 7 flows


def test_a_flow_text_left_in_dutch_is_reported() -> None:
    """`i18n update` once left new flow texts as Dutch copies, which looked translated."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="so")
    catalog.add(
        "Heeft de vertrouwenspersoon al contact gehad?",
        "Heeft de vertrouwenspersoon al contact gehad?",
        context="checkin:asked:say.0",
    )
    catalog.add("Tussen In", "Tussen In", context="welcome:hello:say.0")  # a name stays
    catalog.add("Accept", "Accept")  # UI strings are English in en; not flow texts
    assert [p.message for p in check_catalog("so", catalog)] == ["still the Dutch source text"]
    assert check_catalog("nl", catalog) == []


def test_plural_forms_are_checked_and_counted() -> None:
    """Every plural form is checked like a text (a form for one may spell the number out);
    a plural entry with a form missing is not translated; a gendered sentence in English is
    not a flow text left in Dutch."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="pl")
    source = ("{count} urgent question in {language}", "{count} urgent questions in {language}")
    catalog.add(source, ("jedno pilne pytanie: {language}", "{count} pilne", "{count} pilnych"))
    assert [p.message for p in check_catalog("pl", catalog)] == [
        "placeholders changed: ['{count}', '{language}'] became ['{count}']",
        "placeholders changed: ['{count}', '{language}'] became ['{count}']",
    ]
    assert coverage(catalog) == (1, 1)
    catalog.add(("{count} day", "{count} days"), ("{count} dzień", "", "{count} dni"))
    assert coverage(catalog) == (1, 2)
    english = Catalog(locale="en")
    english.add("She will write to you.", "She will write to you.", context="vp:f")
    assert check_catalog("en", english) == []
