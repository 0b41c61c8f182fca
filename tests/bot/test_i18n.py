"""Catalogs: complete in every language, in step with the source, loud when missing."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.errors import StartupError
from bot.i18n import LOCALES_DIR, Catalogs, compile_catalogs, directed, extract_template
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
    """Every gettext string in the code is in messages.pot and every catalog (i18n update)."""
    fresh = tmp_path / "messages.pot"
    extract_template(template=fresh)
    with fresh.open("rb") as handle:
        source_ids = {m.id for m in read_po(handle) if m.id}
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        template_ids = {m.id for m in read_po(handle) if m.id}
    assert template_ids == source_ids, "run python -m bot i18n update"
    for code in LANGUAGES:
        assert {m.id for m in _catalog(code) if m.id} == source_ids, f"i18n update ({code})"


def _copy_of_the_catalogs(tmp_path: Path) -> Path:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales, ignore=shutil.ignore_patterns("*.mo"))
    return locales


def test_a_missing_or_stale_catalog_is_compiled_at_start(tmp_path: Path) -> None:
    locales = _copy_of_the_catalogs(tmp_path)
    assert Catalogs(list(LANGUAGES), locales).translator("pl").gettext("Accept") == "Przyjmij"
    mo = locales / "ar" / "LC_MESSAGES" / "messages.mo"
    po = mo.with_suffix(".po")
    po.write_text(
        po.read_text(encoding="utf-8").replace('msgstr "قبول"', 'msgstr "موافقة"'), encoding="utf-8"
    )
    os.utime(mo, (mo.stat().st_atime, po.stat().st_mtime - 10))
    assert Catalogs(list(LANGUAGES), locales).translator("ar").gettext("Accept") == "موافقة"
    assert mo.stat().st_mtime >= po.stat().st_mtime


def test_a_catalog_that_cannot_be_compiled_stops_start_up_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locales = _copy_of_the_catalogs(tmp_path)
    compile_catalogs(locales)
    mo = locales / "pl" / "LC_MESSAGES" / "messages.mo"
    stale = mo.with_suffix(".po").stat().st_mtime - 10
    os.utime(mo, (stale, stale))

    def read_only(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    # Tests run as root, who may write anywhere: the folder is made read-only this way.
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    # A .mo that an installer wrote a moment before its .po says what the .po says: it loads.
    assert Catalogs(list(LANGUAGES), locales).translator("pl").gettext("Accept") == "Przyjmij"
    mo.write_bytes(b"")  # a .mo that does not match its .po
    os.utime(mo, (stale, stale))
    with pytest.raises(StartupError) as stopped:
        Catalogs(list(LANGUAGES), locales)
    assert "\n" not in str(stopped.value)
    assert str(stopped.value).startswith("The catalog for 'pl' is out of date and ")
    assert "cannot be written (Permission denied): run `python -m bot i18n compile`" in str(
        stopped.value
    )
    mo.unlink()
    with pytest.raises(StartupError, match=r"'pl' is not compiled and .* cannot be written"):
        Catalogs(list(LANGUAGES), locales)
    with pytest.raises(StartupError, match=r"^Cannot write the catalogs in .*Permission denied"):
        compile_catalogs(locales)


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
