"""Golden transcripts: every default flow walked in every shipped language, and coverage.

`pytest --update-golden` rewrites the recordings; the coverage check cannot be rewritten.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.i18n import LOCALES_DIR
from bot.services.languages import LANGUAGES
from flows import engine
from flows.flowset import FlowSet
from flows.library import load_flowset
from tests.flows.test_steps import to_input

ROOT = Path(__file__).resolve().parents[2]
WALKS = yaml.safe_load((Path(__file__).parent / "walks.yaml").read_text(encoding="utf-8"))
GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
RTL = frozenset(code for code, language in LANGUAGES.items() if language.rtl)


@pytest.fixture(scope="module")
def flowset() -> FlowSet:
    flows, _ = load_flowset(ROOT / "flows" / "defaults", LOCALES_DIR, list(LANGUAGES), RTL)
    return flows


def walk(flowset: FlowSet, spec: dict[str, Any], lang: str) -> tuple[list[str], set[str]]:
    lines, trace = [f"## {spec['name']}"], set[str]()
    outcome = engine.begin(
        flowset, spec["flow"], lang, NOW, node=spec.get("node"), results=spec.get("results")
    )

    def record(outcome: engine.Outcome) -> None:
        trace.update(outcome.trace)
        for reply in outcome.outputs:
            lines.append("bot: " + reply.text.replace("\n", "\n     "))
            lines.extend(f"     [{c.action}] {c.label}" for c in reply.all_choices)
        for effect in outcome.effects:
            lines.append(f"effect: {effect}")

    record(outcome)
    state = outcome.state
    for raw in spec["inputs"]:
        lines.append(f"parent: {raw}")
        outcome = engine.advance(flowset, state, to_input(raw, state), lang, NOW)
        record(outcome)
        state = outcome.state
    lines.append(f"end: {state.flow}:{state.node} finished={state.finished}")
    return lines, trace


def all_exits(flowset: FlowSet) -> set[str]:
    exits = set()
    for flow in flowset.flows.values():
        for node in flow.nodes.values():
            exits.add(f"{flow.name}:{node.id}")
            exits |= {f"{flow.name}:{node.id}>{where}" for where, _ in node.targets()}
            exits |= {f"{flow.name}:{node.id}>choose[{i}]" for i in range(len(node.choose))}
    return exits


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_golden_transcript(flowset: FlowSet, lang: str, request: pytest.FixtureRequest) -> None:
    lines: list[str] = []
    for spec in WALKS:
        lines += [*walk(flowset, spec, lang)[0], ""]
    text = "\n".join(lines)
    path = GOLDEN / f"{lang}.txt"
    if request.config.getoption("--update-golden"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), "no recording yet: run pytest --update-golden"
    assert text == path.read_text(encoding="utf-8"), f"{lang} transcript changed"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_node_and_exit_is_walked(flowset: FlowSet, lang: str) -> None:
    visited: set[str] = set()
    for spec in WALKS:
        visited |= walk(flowset, spec, lang)[1]
    missing = sorted(all_exits(flowset) - visited)
    assert missing == [], f"walks.yaml never reaches: {missing}"


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "nl"])
def test_every_text_is_in_the_language(flowset: FlowSet, lang: str) -> None:
    """No Dutch fallback shows in a shipped language (a service's name alone may stay Dutch)."""
    for flow in flowset.flows.values():
        for context, source in flow.texts():
            same = flowset.text(lang, context, source) == source
            assert not same or " " not in source.strip(), context
