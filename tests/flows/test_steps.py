"""Every step type has a fixture, and each fixture runs as it says (STYLE.md, point 2)."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows import engine
from flows.flowset import FlowSet, Translation
from flows.inputs import Input, Media, Pick, Text, Timeout
from flows.loader import flow_from_data
from flows.steps import load_all

FIXTURES = Path(__file__).parent / "fixtures" / "steps"
NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


def to_input(raw: dict[str, Any], state: engine.Conversation) -> Input:
    if "pick" in raw:
        return Pick(str(raw["pick"]))
    if "text" in raw:
        return Text(str(raw["text"]))
    if "voice" in raw:
        return Media("voice", str(raw["voice"]))
    if "media" in raw:
        return Media(str(raw["media"]))
    if "timeout" in raw:
        return Timeout(state.step)
    raise ValueError(f"unknown input {raw}")


def plain(effect: Any) -> dict[str, Any]:
    fields = {
        k: v.total_seconds() if isinstance(v, timedelta) else v
        for k, v in (
            asdict(effect) if is_dataclass(effect) and not isinstance(effect, type) else {}
        ).items()
    }
    return {type(effect).__name__: fields}


def run_fixture(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    flows = {}
    for raw in data["flows"]:
        flow, problems = flow_from_data(raw, path.name)
        assert flow is not None and problems == [], problems
        flows[flow.name] = flow
    translations = {
        lang: {ctxt: Translation(text) for ctxt, text in table.items()}
        for lang, table in (data.get("translations") or {}).items()
    }
    flowset = FlowSet(flows, translations, frozenset({"ar"}))
    outcome = engine.begin(flowset, "main", "nl", NOW)
    said = [r.text for r in outcome.outputs]
    effects = list(outcome.effects)
    state = outcome.state
    for raw in data.get("inputs") or []:
        outcome = engine.advance(flowset, state, to_input(raw, state), "nl", NOW)
        said += [r.text for r in outcome.outputs]
        effects += outcome.effects
        state = outcome.state
    expect = data["expect"]
    if "say" in expect:
        assert said == expect["say"]
    for text, start in zip(said, expect.get("say_starts", []), strict=False):
        assert text.startswith(start)
    if "results" in expect:
        assert state.results == expect["results"]
    if "effects" in expect:
        assert [plain(e) for e in effects] == expect["effects"]
    if "at" in expect:
        assert f"{state.flow}:{state.node}" == expect["at"]
    assert state.finished == expect.get("finished", False)


def test_every_step_type_has_a_fixture() -> None:
    missing = [name for name in load_all() if not (FIXTURES / f"{name}.yaml").exists()]
    assert missing == [], f"step types without a fixture in {FIXTURES}: {missing}"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.yaml")), ids=lambda p: p.stem)
def test_step_fixture(path: Path) -> None:
    assert path.stem in load_all(), f"fixture for an unknown step type: {path.stem}"
    run_fixture(path)
