"""Sentences about a VP take the VP's gender as context (vp:f, vp:m): every such sentence has
both forms, translated, in every enabled language, and the template offers both."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, VP_CONTEXTS, extract_template, gendered_messages
from bot.services.coordinator_settings import parse_settings
from bot.settings import DEFAULT_FLOWS_DIR

ENABLED = parse_settings(
    (DEFAULT_FLOWS_DIR / "settings.yaml").read_text(encoding="utf-8"), Path("settings.yaml")
).languages
GENDERED = gendered_messages()


def test_the_sentences_about_a_vp_are_found() -> None:
    assert any(message.startswith("Good news: {name}") for message in GENDERED)
    assert any(message.startswith("{name} has closed this conversation") for message in GENDERED)


def test_the_template_offers_both_contexts(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    extract_template(template=fresh)
    with fresh.open("rb") as handle:
        template = read_po(handle)
    for message in GENDERED:
        for context in VP_CONTEXTS.values():
            assert template.get(message, context=context) is not None, (context, message)


@pytest.mark.parametrize("code", ENABLED)
def test_both_contexts_are_translated_in_every_enabled_language(code: str) -> None:
    with (LOCALES_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=code)
    missing = []
    for message in GENDERED:
        for context in VP_CONTEXTS.values():
            entry = catalog.get(message, context=context)
            if entry is None or not entry.string or entry.fuzzy:
                missing.append(f"{context}: {message[:40]}")
    assert missing == [], f"{code}: {missing}"
