"""Catalogs: complete in every language, in step with the source, loud when missing."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.errors import StartupError
from bot.i18n import LOCALES_DIR, Catalogs, compile_catalogs, directed
from bot.services.languages import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]


def _catalog(code: str) -> Any:
    with (LOCALES_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=code)


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_string_is_translated_and_not_fuzzy(code: str) -> None:
    catalog = _catalog(code)
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == [], f"{code}: untranslated or fuzzy"


def test_template_matches_the_source(tmp_path: Path) -> None:
    """Every gettext string in the code is in messages.pot and every catalog (run extract)."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "NP_:1c,2",
            "--no-location",
            "--sort-output",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as handle:
        source_ids = {m.id for m in read_po(handle) if m.id}
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        assert {m.id for m in read_po(handle) if m.id} == source_ids, "run pybabel extract"
    for code in LANGUAGES:
        assert {m.id for m in _catalog(code) if m.id} == source_ids, f"run pybabel update ({code})"


def test_a_missing_compiled_catalog_stops_start_up(tmp_path: Path) -> None:
    shutil.copytree(LOCALES_DIR, tmp_path / "locales")
    (tmp_path / "locales" / "ar" / "LC_MESSAGES" / "messages.mo").unlink()
    with pytest.raises(StartupError, match="'ar' is not compiled"):
        Catalogs(list(LANGUAGES), tmp_path / "locales")
    compile_catalogs(tmp_path / "locales")
    assert Catalogs(list(LANGUAGES), tmp_path / "locales").translator("ar").rtl


def test_arabic_lines_are_marked_right_to_left() -> None:
    text = directed("/help – المساعدة\n\n/start – ابدأ", rtl=True)
    assert text.split("\n") == ["\u200f/help – المساعدة", "", "\u200f/start – ابدأ"]
    assert directed("/help", rtl=False) == "/help"


def test_no_text_is_hidden_from_extraction() -> None:
    """pybabel cannot see a gettext call inside an f-string: such a text is never translated
    (it happened once, to the "edited" mark of the relay)."""
    hidden = re.compile(r"""f(["']).*?gettext\(""")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("bot", "handlers", "flows")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if hidden.search(line)
    ]
    assert found == []
