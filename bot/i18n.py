"""Gettext catalogs from locales/: compiled with Babel, loaded per language, checked at start."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.errors import StartupError
from bot.services.languages import FALLBACK_LANGUAGE, LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
RLM = "\u200f"


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is used."""
    return message


def _paths(locales_dir: Path, code: str) -> tuple[Path, Path]:
    folder = locales_dir / code / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


def compile_catalogs(locales_dir: Path = LOCALES_DIR) -> list[str]:
    """Compile every .po under locales/ to .mo; returns the language codes compiled."""
    compiled = []
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        compiled.append(po_path.parent.parent.name)
    return compiled


@dataclass(frozen=True)
class Translator:
    code: str
    rtl: bool
    _translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)


class Catalogs:
    """Loaded catalogs for the enabled languages; a missing or stale one stops start-up."""

    def __init__(self, languages: list[str], locales_dir: Path = LOCALES_DIR) -> None:
        self.languages = list(languages)
        loaded: dict[str, gettext.GNUTranslations] = {}
        for code in {*self.languages, FALLBACK_LANGUAGE}:
            po_path, mo_path = _paths(locales_dir, code)
            if not po_path.exists():
                raise StartupError(f"No catalog for language '{code}': add {po_path}.")
            if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
                raise StartupError(
                    f"The catalog for '{code}' is not compiled or out of date: "
                    "run `python -m bot i18n compile`."
                )
            with mo_path.open("rb") as handle:
                loaded[code] = gettext.GNUTranslations(handle)
        fallback = loaded[FALLBACK_LANGUAGE]
        for code, translations in loaded.items():
            if code != FALLBACK_LANGUAGE:
                translations.add_fallback(fallback)  # the parent's language, then Dutch
        self._translators = {
            code: Translator(code, LANGUAGES[code].rtl, translations)
            for code, translations in loaded.items()
        }

    def translator(self, code: str | None) -> Translator:
        return (
            self._translators.get(code or FALLBACK_LANGUAGE) or self._translators[FALLBACK_LANGUAGE]
        )


def directed(text: str, rtl: bool) -> str:
    """Text as a channel shows it: a right-to-left mark per line keeps "/help …" lines RTL."""
    if not rtl:
        return text
    return "\n".join(RLM + line if line else line for line in text.split("\n"))
