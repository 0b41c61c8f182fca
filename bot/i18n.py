"""Gettext catalogs from locales/: compiled with Babel, loaded per language, checked at start."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

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

    def pgettext(self, context: str, message: str) -> str:
        return self._translations.pgettext(context, message)


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


ROOT = LOCALES_DIR.parent
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
REVIEW_MARK = "Reviewed by a native speaker:"
FLOW_SOURCE_LANGUAGE = "nl"
# Where Babel's defaults are wrong or missing (CLDR: ti "one: n = 0..1"; rif: no CLDR data).
PLURAL_FORMS = {
    "ti": "nplurals=2; plural=(n > 1);",
    "rif": "nplurals=2; plural=(n != 1);",
}


def extract_template(
    config: Path = ROOT / "babel.cfg", source: Path = ROOT, template: Path = TEMPLATE
) -> None:
    """Every gettext string of the code and every flow text, into messages.pot."""
    from babel.messages.frontend import CommandLineInterface

    arguments = ["-F", str(config), "-k", "N_", "-k", "NP_:1c,2", "--no-location"]
    arguments += ["--sort-output", "--project", "Tussen In bot", "--copyright-holder", "Tussen In"]
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", *arguments, "-o", str(template), str(source)]
    )


def update_catalogs(
    languages: list[str], locales_dir: Path = LOCALES_DIR, template_path: Path = TEMPLATE
) -> None:
    """Merge the template into each catalog: an edited text keeps its old translation, fuzzy."""
    with template_path.open("rb") as handle:
        template = read_po(handle)
    for code in languages:
        path = locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=_locale(code))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            with template_path.open("rb") as handle:
                catalog = read_po(handle, locale=_locale(code))
            catalog.header_comment = f"# Tussen In bot — {code}\n# {REVIEW_MARK} no"
            catalog.fuzzy = False
        catalog.update(template, update_header_comment=False)
        if code == FLOW_SOURCE_LANGUAGE:
            # The flows are written in Dutch: their Dutch "translation" is the text itself.
            for message in catalog:
                if message.id and ":" in (message.context or ""):
                    message.string, message.flags = message.id, set()
        if code in PLURAL_FORMS:
            # Babel offers no setter; its header writer reads these two attributes.
            catalog._num_plurals, catalog._plural_expr = _plural(PLURAL_FORMS[code])  # type: ignore[assignment]
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, include_previous=False)


def _locale(code: str) -> str | None:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return None
    return code


def _plural(forms: str) -> tuple[int, str]:
    count = int(forms.split("nplurals=")[1].split(";")[0])
    expression = forms.split("plural=")[1].rstrip(";")
    return count, expression
