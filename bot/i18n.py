"""Gettext catalogs from locales/: compiled with Babel, loaded per language, compiled at start
when missing or stale. locales/ is a package of its own, so the catalogs ship in the wheel."""

from __future__ import annotations

import contextlib
import gettext
import io
import os
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.errors import StartupError
from bot.services.languages import FALLBACK_LANGUAGE, LANGUAGES
from flows.answers import normalise

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
# The console's own words: English msgids, complete in Dutch; other languages may follow.
CONSOLE_DOMAIN = "console"
CONSOLE_TEMPLATE_LANGUAGES = ("nl",)
RLM = "\u200f"
# The translation context of a sentence about a person of that gender (Person.gender).
CONTROL_CONTEXT = "control words"  # the context of plain words that work like commands
VP_CONTEXTS = {"f": "vp:f", "m": "vp:m"}
VP_KEYWORD = "vpgettext"  # Translator.vpgettext: its msgids get both contexts in the catalogs


def is_flow_text(context: str | None) -> bool:
    """A flow's text has the context "flow:node:part" (flows/extract.py); the gendered
    contexts "vp:f" and "vp:m" and the built-in steps' "step:NAME" are the code's own."""
    return (context or "").count(":") == 2


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is used."""
    return message


def _paths(locales_dir: Path, code: str) -> tuple[Path, Path]:
    folder = locales_dir / code / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


def compile_po_text(text: str, code: str) -> bytes:
    """A catalog's .po text compiled to .mo bytes, in memory (fuzzy entries left out)."""
    catalog = read_po(io.BytesIO(text.encode("utf-8")), locale=_locale(code))
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _compiled(po_path: Path) -> bytes:
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=po_path.parent.parent.name)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _write_replacing(path: Path, data: bytes) -> None:
    """Write beside, then rename: an instance starting meanwhile never reads half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def writing_catalogs(locales_dir: Path = LOCALES_DIR) -> Iterator[None]:
    """A catalog folder that cannot be written is one line, not a traceback."""
    try:
        yield
    except OSError as error:
        raise StartupError(
            f"Cannot write the catalogs in {locales_dir} ({error.strerror or error}): "
            "run this as a user who may write there."
        ) from None


def compile_catalogs(locales_dir: Path = LOCALES_DIR) -> list[str]:
    """Compile every .po under locales/ to .mo; returns the language codes compiled."""
    compiled = []
    with writing_catalogs(locales_dir):
        for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            _write_replacing(po_path.with_suffix(".mo"), _compiled(po_path))
            compiled.append(po_path.parent.parent.name)
        for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{CONSOLE_DOMAIN}.po")):
            _write_replacing(po_path.with_suffix(".mo"), _compiled(po_path))
    return compiled


def _messages(mo: bytes) -> dict[object, str] | None:
    """What a compiled catalog says, without its header (which names the Babel version)."""
    try:
        translations = gettext.GNUTranslations(io.BytesIO(mo))
    except (OSError, struct.error):
        return None  # not a compiled catalog (cut short, or empty)
    catalog = translations._catalog  # type: ignore[attr-defined]
    return {key: text for key, text in catalog.items() if key != ""}


def ensure_compiled(code: str, po_path: Path, mo_path: Path) -> None:
    """Compile a catalog that is missing or older than its .po, where the folder allows it.

    An installer may write the .mo a moment before its .po: a read-only catalog whose messages
    are those of its .po is up to date, whatever the times say."""
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        return
    data = _compiled(po_path)
    try:
        _write_replacing(mo_path, data)
    except OSError as error:
        current = _messages(mo_path.read_bytes()) if mo_path.exists() else None
        if current is not None and current == _messages(data):
            return
        state = "out of date" if mo_path.exists() else "not compiled"
        raise StartupError(
            f"The catalog for '{code}' is {state} and {mo_path.parent} cannot be written "
            f"({error.strerror or error}): run `python -m bot i18n compile` as a user who "
            "may write there."
        ) from None


@dataclass(frozen=True)
class Translator:
    code: str
    rtl: bool
    _translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def pgettext(self, context: str, message: str) -> str:
        return self._translations.pgettext(context, message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The form for `count` by the catalog's plural rule (Arabic has six)."""
        return self._translations.ngettext(singular, plural, count)

    def npgettext(self, context: str, singular: str, plural: str, count: int) -> str:
        return self._translations.npgettext(context, singular, plural, count)

    def vpgettext(self, gender: str, message: str) -> str:
        """A sentence about a VP (or another staff member) in the grammar of their gender
        (he/she in Arabic, verb endings in Polish...); plain gettext when it is unknown."""
        context = VP_CONTEXTS.get(gender)
        if context is None:
            return self.gettext(message)
        text = self._translations.pgettext(context, message)
        return text if text != message else self.gettext(message)  # not translated yet

    def says(self, typed: str, words: str) -> bool:
        """Whether `typed` is one of the plain words `words` (context "control words", "|"
        apart, like "stop|pause"), in this language or as the source has them."""
        local = self.pgettext(CONTROL_CONTEXT, words).split("|")
        return normalise(typed) in {normalise(w) for w in [*local, *words.split("|")]}


class Catalogs:
    """Loaded catalogs for the enabled languages, compiled first when missing or stale; one
    that is missing, or cannot be compiled, stops start-up."""

    def __init__(self, languages: list[str], locales_dir: Path = LOCALES_DIR) -> None:
        self.languages = list(languages)
        loaded: dict[str, gettext.GNUTranslations] = {}
        for code in {*self.languages, FALLBACK_LANGUAGE}:
            po_path, mo_path = _paths(locales_dir, code)
            if not po_path.exists():
                raise StartupError(f"No catalog for language '{code}': add {po_path}.")
            ensure_compiled(code, po_path, mo_path)
            with mo_path.open("rb") as handle:
                loaded[code] = gettext.GNUTranslations(handle)
        self._loaded = loaded
        self._translators = self._with_fallbacks(loaded)

    @staticmethod
    def _with_fallbacks(loaded: dict[str, gettext.GNUTranslations]) -> dict[str, Translator]:
        fallback = loaded[FALLBACK_LANGUAGE]
        for code, translations in loaded.items():
            if code != FALLBACK_LANGUAGE:
                translations._fallback = None  # type: ignore[attr-defined]  # set anew below
                translations.add_fallback(fallback)  # the parent's language, then Dutch
        return {
            code: Translator(code, LANGUAGES[code].rtl, translations)
            for code, translations in loaded.items()
        }

    @property
    def codes(self) -> list[str]:
        """Every language loaded: the enabled ones and the fallback."""
        return sorted(self._loaded)

    def replace(self, texts: dict[str, str]) -> None:
        """Serve these catalogs (.po texts by language: published versions) instead of the
        ones loaded; one assignment, so a reader sees the old translators or the new."""
        loaded = dict(self._loaded)
        for code, text in texts.items():
            if code in loaded:
                loaded[code] = gettext.GNUTranslations(io.BytesIO(compile_po_text(text, code)))
        self._loaded = loaded
        self._translators = self._with_fallbacks(loaded)

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
    config: Path = LOCALES_DIR / "babel.cfg", source: Path = ROOT, template: Path = TEMPLATE
) -> None:
    """Every gettext string of the code and every flow text, into messages.pot.

    `source` is the folder that holds the packages: the repo, or site-packages when installed."""
    from babel.messages.frontend import CommandLineInterface

    arguments = ["-F", str(config), "-k", "N_", "-k", "NP_:1c,2", "-k", f"{VP_KEYWORD}:2"]
    arguments += ["--no-location", "--sort-output"]
    arguments += ["--project", "Tussen In bot", "--copyright-holder", "Tussen In"]
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", *arguments, "-o", str(template), str(source)]
    )
    _add_gender_contexts(template, gendered_messages(source))


def extract_console_template(
    source: Path = ROOT, template: Path = LOCALES_DIR / f"{CONSOLE_DOMAIN}.pot"
) -> None:
    """The console's pages and templates, into console.pot (a domain of its own)."""
    from babel.messages.frontend import CommandLineInterface

    arguments = ["-F", str(LOCALES_DIR / "console.cfg"), "--no-location", "--sort-output"]
    arguments += ["--project", "Tussen In console", "--copyright-holder", "Tussen In"]
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", *arguments, "-o", str(template), str(source)]
    )


def update_console_catalogs(locales_dir: Path = LOCALES_DIR) -> None:
    """Merge console.pot into each console catalog (Dutch, and any other there is)."""
    template_path = locales_dir / f"{CONSOLE_DOMAIN}.pot"
    with template_path.open("rb") as handle:
        template = read_po(handle)
    found = {p.parent.parent.name for p in locales_dir.glob(f"*/LC_MESSAGES/{CONSOLE_DOMAIN}.po")}
    for code in sorted(found | set(CONSOLE_TEMPLATE_LANGUAGES)):
        path = locales_dir / code / "LC_MESSAGES" / f"{CONSOLE_DOMAIN}.po"
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=_locale(code))
        else:
            catalog = read_po(template_path.open("rb"), locale=_locale(code))
            catalog.header_comment = f"# Tussen In console — {code}"
            catalog.fuzzy = False
        catalog.update(template, update_header_comment=False)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, include_previous=False)


def gendered_messages(source: Path = ROOT) -> list[str]:
    """Every msgid the code passes to vpgettext: each needs a vp:f and a vp:m translation."""
    from babel.messages.extract import extract_from_dir

    found = extract_from_dir(
        source,
        method_map=[("bot/**.py", "python"), ("handlers/**.py", "python")],
        keywords={VP_KEYWORD: (2,)},
    )
    return sorted({message for _, _, message, _, _ in found if isinstance(message, str)})


def _add_gender_contexts(template: Path, messages: list[str]) -> None:
    with template.open("rb") as handle:
        catalog = read_po(handle)
    for message in messages:
        for context in VP_CONTEXTS.values():
            catalog.add(message, context=context, auto_comments=["a sentence about a VP"])
    with template.open("wb") as handle:
        write_po(handle, catalog, sort_output=True)  # as pybabel extract writes it


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
        merge_template(catalog, template, code)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, include_previous=False)


def merge_template(catalog: Catalog, template: Catalog, code: str) -> None:
    """The template's texts into a language's catalog: a new text untranslated, an edited
    one keeping its old translation marked fuzzy, a removed one obsolete."""
    catalog.update(template, update_header_comment=False)
    if code == FLOW_SOURCE_LANGUAGE:
        # The flows are written in Dutch: their Dutch "translation" is the text itself.
        for message in catalog:
            if message.id and is_flow_text(message.context):
                message.string, message.flags = message.id, set()
    if code in PLURAL_FORMS:
        # Babel offers no setter; its header writer reads these two attributes.
        catalog._num_plurals, catalog._plural_expr = _plural(PLURAL_FORMS[code])  # type: ignore[assignment]


def with_flow_texts(published: str, texts: list[tuple[str, str]], code: str) -> str:
    """A published catalog (.po text) after the flows changed, as `flows reload` merges
    the files: the code's texts from the shipped template, the flows' from `texts`
    ((context, source) of every flow text now)."""
    with TEMPLATE.open("rb") as handle:
        template = read_po(handle)
    for message in list(template):
        if message.id and is_flow_text(message.context):
            template.delete(message.id, context=message.context)
    for context, source in texts:
        flow, node = context.split(":")[:2]  # the comment flows/extract.py gives it
        template.add(source, context=context, auto_comments=[f"flow {flow}, node {node}"])
    catalog = read_po(io.BytesIO(published.encode("utf-8")), locale=_locale(code))
    for key, message in list(catalog.obsolete.items()):
        # A text that comes back (a flow rolled back) gets its translation back as it was.
        wanted = template.get(message.id, context=message.context) is not None
        if wanted and catalog.get(message.id, context=message.context) is None:
            catalog[message.id] = message
            del catalog.obsolete[key]
    translated = [
        Message(m.id, m.string, context=m.context, auto_comments=m.auto_comments)
        for m in catalog
        if m.id and is_flow_text(m.context) and m.string and not m.fuzzy
    ]
    merge_template(catalog, template, code)
    for message in translated:
        # An edited text's translation stays in the catalog as obsolete (Babel drops what
        # it carried over as a fuzzy guess), so a rollback finds it again.
        if catalog.get(message.id, context=message.context) is None:
            catalog.obsolete.setdefault((str(message.id), str(message.context)), message)
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=True, include_previous=False)
    return out.getvalue().decode("utf-8")


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
