"""A coordinator edits a question and reloads: Arabic keeps the old translation (fuzzy, with a
warning), Dutch gets the new text at once, and a running conversation finishes on its version."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, extract_template, update_catalogs
from bot.services.flow_library import FlowLibrary
from flows import engine
from flows.inputs import Pick
from flows.problems import WARNING

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
OLD = "Waar gaat je vraag over?"
NEW = "Waar gaat jouw vraag over?"
CONTEXT = "ask:topic:say.0"


def test_an_edited_question_keeps_its_old_translation_until_translated(tmp_path: Path) -> None:
    flows, locales = tmp_path / "flows", tmp_path / "locales"
    shutil.copytree(ROOT / "flows" / "defaults", flows)
    for code in ("nl", "ar"):
        shutil.copytree(LOCALES_DIR / code, locales / code)
    library = FlowLibrary(flows, lambda: ["nl", "ar"], frozenset({"ar"}), locales=locales)
    old = library.current
    old_arabic = old.text("ar", CONTEXT, OLD)
    running = engine.begin(old, "welcome", "nl", NOW)  # a Dutch parent, at the menu

    ask = flows / "ask.yaml"
    ask.write_text(ask.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
    # The coordinator's texts, and the built-in texts of steps (the emergency numbers).
    shutil.copy(ROOT / "flows" / "steps" / "emergency.py", tmp_path / "emergency.py")
    (tmp_path / "babel.cfg").write_text(
        "[tussenin_flows: flows/*.yaml]\n[python: emergency.py]\n", encoding="utf-8"
    )
    template = tmp_path / "messages.pot"
    extract_template(tmp_path / "babel.cfg", tmp_path, template)
    update_catalogs(["nl", "ar"], locales, template)
    assert library.reload() == []

    with (locales / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        entry = read_po(handle).get(NEW, context=CONTEXT)
    assert entry is not None and entry.fuzzy and entry.string == old_arabic
    warnings = [p for p in library.warnings if p.level == WARNING]
    assert any("ar translation of say.0 is out of date" in str(p) for p in warnings)

    new = library.current
    assert new.version != old.version
    arabic = engine.begin(new, "ask", "ar", NOW).outputs[0].text
    dutch = engine.begin(new, "ask", "nl", NOW).outputs[0].text
    assert arabic == old_arabic and dutch == NEW

    # The running conversation goes on in the version it started with.
    on = engine.advance(old, running.state, Pick("0"), "nl", NOW)
    assert on.outputs[0].text == OLD and on.state.version == old.version
