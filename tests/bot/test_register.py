"""Spoken to as a parent, not as a man (#14): each catalog writes down its register at the
top ("# Register:") with the forms it avoids ("# Avoid:", whole words), and no translation
uses them: Arabic never addresses the reader in the masculine singular, Turkish uses "siz",
and the other languages with grammatical gender avoid gendered second-person forms. The
information buttons say what each service is, beside its Dutch name, in every language."""

from __future__ import annotations

import re
import unicodedata

import pytest
from babel.messages.catalog import Catalog

from bot.catalog_checks import read_catalog
from bot.i18n import VP_CONTEXTS
from bot.services.languages import LANGUAGES
from flows.limits import MAX_BUTTON_LABEL

# Languages that mark gender (or distance) in the second person: each must say what it avoids.
GENDERED = ("ar", "tr", "pl", "uk", "ti", "rif")
SERVICES = ("CJG", "Wijkteam", "Huisarts", "Jeugdzorg")  # information:menu:choose.0 to .3
WORD = re.compile(r"\w+", re.UNICODE)
FIELD = re.compile(r"^# ?([A-Z][\w -]*):")


def header_field(catalog: Catalog, name: str) -> str:
    """A "# Name: ..." block of the header comment, with the lines Babel wrapped under it."""
    lines = (catalog.header_comment or "").splitlines()
    found: list[str] = []
    for line in lines:
        field = FIELD.match(line)
        if field:
            if found:
                break
            if field.group(1) == name:
                found.append(line[field.end() :])
        elif found:
            found.append(line.lstrip("#"))
    return " ".join(part.strip() for part in found)


def plain(text: str) -> str:
    """Case and Arabic vowel marks left out: "تُرِيدُ" is the word "تريد"."""
    text = unicodedata.normalize("NFC", text).casefold()
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def avoided(catalog: Catalog) -> set[str]:
    return {plain(form.strip()) for form in header_field(catalog, "Avoid").split(",") if form}


def translations(catalog: Catalog) -> list[tuple[str, str]]:
    """Every translation, except the sentences about a VP of known gender ("vp:f", "vp:m"),
    where a gendered third person ("she would like") is right."""
    out = []
    for message in catalog:
        if not message.id or not message.string or message.context in VP_CONTEXTS.values():
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        out += [(f"{message.context or ''} {message.id!r}"[:80], s) for s in strings if s]
    return out


@pytest.mark.parametrize("code", [c for c in LANGUAGES if c != "nl"])
def test_each_catalog_writes_down_its_register(code: str) -> None:
    catalog = read_catalog(code)
    assert len(header_field(catalog, "Register")) > 40, f"{code}: no '# Register:' line"
    if code in GENDERED:
        assert len(avoided(catalog)) >= 15, f"{code}: too few forms under '# Avoid:'"


@pytest.mark.parametrize("code", [c for c in LANGUAGES if c != "nl"])
def test_no_translation_uses_a_form_its_register_avoids(code: str) -> None:
    catalog = read_catalog(code)
    avoid = avoided(catalog)
    wrong = [
        (where, word)
        for where, text in translations(catalog)
        for word in WORD.findall(plain(text))
        if word in avoid
    ]
    assert wrong == [], f"{code}: avoided forms in use: {wrong[:10]}"


def test_arabic_avoids_the_masculine_singular_and_turkish_uses_siz() -> None:
    arabic, turkish = avoided(read_catalog("ar")), avoided(read_catalog("tr"))
    # The forms a careless translation would use, which the headers must keep listing.
    assert {"تريد", "اكتب", "اختر", "أرسل", "يمكنك", "سؤالك", "لك"} <= arabic
    assert {"sen", "sana", "senin", "istersin", "yapabilirsin"} <= turkish
    polite = [
        t for _, t in translations(read_catalog("tr")) if re.search(r"\bsiz|[ıiuü]n[ıiuü]z\b", t)
    ]
    assert len(polite) > 50, "Turkish texts should address the reader with siz"


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_information_buttons_say_what_each_service_is(code: str) -> None:
    catalog = read_catalog(code)
    for index, name in enumerate(SERVICES):
        message = catalog.get(
            next(m.id for m in catalog if m.context == f"information:menu:choose.{index}"),
            context=f"information:menu:choose.{index}",
        )
        assert message is not None and message.string, f"{code}: service button {index}"
        label = str(message.string)
        assert name.casefold() in label.casefold(), f"{code}: {label!r} lost the Dutch name"
        rest = WORD.findall(label.casefold().replace(name.casefold(), ""))
        assert rest, f"{code}: {label!r} does not say what {name} is"
        assert len(label) <= MAX_BUTTON_LABEL
