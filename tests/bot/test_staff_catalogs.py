"""Every staff message, in every language: translated, free of codes, with its plural forms.

The msgids are read from the staff modules themselves (Babel's extractor), so a new staff
text without translations, or with a developer's word in it, fails here."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, N_
from bot.services.cases import BLOCKED, OUTCOMES
from bot.services.languages import LANGUAGES
from bot.services.routing import SKIPPED
from bot.services.staff import TOPICS
from bot.services.staff_words import STATES
from storage.cases import OPEN_STATUSES

ROOT = Path(__file__).resolve().parents[2]
STAFF_MODULES = [
    f"bot/services/{name}.py"
    for name in (
        "cases",
        "case_card",
        "urgent",
        "vp_desk",
        "coordinator_desk",
        "prompt_recording",
        "staff",
        "staff_words",
        "case_history",
        "relay",
        "sharing",
    )
]
KEYWORDS = {
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "N_": None,
}
# The codes staff must never read: case states, topics, outcomes, routing reasons.
CODES = sorted({*OPEN_STATUSES, *STATES, *TOPICS, *OUTCOMES, BLOCKED, *SKIPPED})
# A code that is also a plain word of the language ("school", "man") is a word there.
PLAIN_WORDS = {"en": {code for code in CODES if "_" not in code}, "nl": {"school"}}


@cache
def staff_messages() -> list[tuple[str | None, str | tuple[str, str]]]:
    found: set[tuple[str | None, str | tuple[str, str]]] = set()
    for path in STAFF_MODULES:
        for _, message, _, context in extract_from_file("python", ROOT / path, KEYWORDS):
            if isinstance(message, tuple):  # ngettext: singular and plural
                found.add((context, (message[0], message[1])))
            else:
                found.add((context, message))
    return sorted(found, key=str)


@cache
def catalog(code: str) -> Catalog:
    with (LOCALES_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=code if code not in ("ti", "rif") else None)


def entry(code: str, context: str | None, message: str | tuple[str, str]) -> Message | None:
    return catalog(code).get(message if isinstance(message, str) else message[0], context=context)


def texts(found: Message) -> list[str]:
    if isinstance(found.string, tuple | list):
        return [str(text or "") for text in found.string]
    return [found.string or ""]


def test_the_staff_messages_are_found() -> None:
    messages = [m for _, m in staff_messages()]
    assert "{vp} accepted." in messages and len(messages) > 60
    assert any(isinstance(m, tuple) for m in messages)  # the plurals too


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_staff_message_is_translated(code: str) -> None:
    missing = []
    for context, message in staff_messages():
        found = entry(code, context, message)
        if found is None or found.fuzzy or not all(texts(found)):
            missing.append(message)
    assert missing == []


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_no_staff_message_contains_a_code(code: str) -> None:
    codes = [c for c in CODES if c not in PLAIN_WORDS.get(code, set())]
    token = re.compile(r"(?<![\w{/])(" + "|".join(map(re.escape, codes)) + r")(?![\w}])")
    leaks = []
    for context, message in staff_messages():
        found = entry(code, context, message)
        for text in texts(found) if found is not None else []:
            if token.search(text):
                leaks.append(text)
    assert leaks == []


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_counted_messages_use_the_catalogs_plural_forms(code: str) -> None:
    plural_forms = catalog(code).num_plurals
    wrong = []
    for context, message in staff_messages():
        if isinstance(message, str):
            if "{count}" in message:
                wrong.append(message)  # a count needs ngettext
            continue
        found = entry(code, context, message)
        if found is not None and len(texts(found)) != plural_forms:
            wrong.append(message[0])
    assert wrong == []


def test_a_code_in_a_translation_is_caught() -> None:
    leak = N_("The question is {state}.")
    token = re.compile(r"(?<![\w{/])(" + "|".join(CODES) + r")(?![\w}])")
    assert token.search("De vraag is in_contact.") and token.search("Onderwerp: safety")
    assert not token.search(leak) and not token.search("{in_contact}")
    assert not token.search("/away – pauze")  # a command is no code
