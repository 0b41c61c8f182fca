"""A question with a skip button: the button skips it, any text (or voice) answers it."""

from __future__ import annotations

from datetime import UTC, datetime

from flows import engine
from flows.flowset import FlowSet
from flows.inputs import Media, Pick, Text
from flows.loader import flow_from_data
from flows.validate import check_flows

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
FLOW = {
    "schema": 1,
    "flow": "main",
    "start": "what",
    "nodes": {
        "what": {
            "say": ["Wat is er aan de hand? Dit mag je overslaan."],
            "ask": {"test": "text", "save": "question", "voice": True, "goto": "done"},
            "choose": [{"label": "Overslaan", "goto": "done"}],
            "other": "done",
        },
        "done": {"say": ["Dank je."], "do": ["end"]},
    },
}


def flows() -> FlowSet:
    flow, problems = flow_from_data(FLOW, "main.yaml")
    assert flow is not None and problems == []
    return FlowSet({"main": flow}, rtl=frozenset())


def test_a_skippable_question_is_valid_and_shows_its_skip_button() -> None:
    shown = engine.begin(flows(), "main", "nl", NOW)
    assert check_flows([flows().flows["main"]]) == []
    assert [c.label for row in shown.outputs[-1].choices for c in row] == ["Overslaan"]


def test_text_answers_the_skip_button_skips_and_voice_answers() -> None:
    asked = engine.begin(flows(), "main", "nl", NOW).state
    answered = engine.advance(flows(), asked, Text("Mijn man slaat"), "nl", NOW).state
    skipped = engine.advance(flows(), asked, Pick("0"), "nl", NOW).state
    typed_skip = engine.advance(flows(), asked, Text("overslaan"), "nl", NOW).state
    voiced = engine.advance(flows(), asked, Media("voice", "abc"), "nl", NOW).state
    assert answered.finished and answered.results["question"] == "Mijn man slaat"
    assert skipped.finished and "question" not in skipped.results
    assert typed_skip.finished and "question" not in typed_skip.results
    assert voiced.results["question"] == {"voice": "abc"}
