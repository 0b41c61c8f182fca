"""The console's own catalog: extracted from its pages, complete in Dutch (English is the
source), placeholders kept; a coordinator's language picks the console's language."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po

from bot.i18n import CONSOLE_DOMAIN, LOCALES_DIR, Catalogs, extract_console_template
from bot.services.languages import LANGUAGES
from console.words import ConsoleCatalogs, console_languages
from storage.records import Person

PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def _ids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_the_console_template_matches_its_pages(tmp_path: Path) -> None:
    fresh = tmp_path / "console.pot"
    extract_console_template(template=fresh)
    assert _ids(fresh) == _ids(LOCALES_DIR / "console.pot"), "run python -m bot i18n update"
    assert len(_ids(fresh)) > 50


def test_dutch_is_complete_with_its_placeholders() -> None:
    assert "nl" in console_languages()
    path = LOCALES_DIR / "nl" / "LC_MESSAGES" / f"{CONSOLE_DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="nl")
    assert {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id} == _ids(
        LOCALES_DIR / "console.pot"
    )
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings) and not message.fuzzy, f"untranslated: {ids[0]}"
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(ids[-1])), ids[0]


def test_the_coordinators_language_chooses_the_consoles() -> None:
    catalogs = ConsoleCatalogs(Catalogs(list(LANGUAGES)), ZoneInfo("Europe/Amsterdam"))
    person = Person(1, "coordinator", "S", "S", (), "", (), 3, True, True)
    dutch = catalogs.for_person(person)  # no /language yet: the staff default, Dutch
    assert dutch.code == "nl" and dutch.gettext("Board") != "Board"
    turkish = catalogs.for_person(
        Person(1, "coordinator", "S", "S", (), "", (), 3, True, True, language="tr")
    )
    assert turkish.code == "en" and turkish.gettext("Board") == "Board"  # no Turkish console yet
    english = catalogs.for_code("en")
    assert english.gettext("Board") == "Board"
