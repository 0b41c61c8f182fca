"""Media in a node, per language: audio, photos and documents fall back to Dutch; a voice
prompt is only ever played in its own language."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import yaml

from flows import engine
from flows.flowset import FlowSet
from flows.library import check_folder
from flows.loader import flow_from_data

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
FLOW = {
    "schema": 1,
    "flow": "main",
    "start": "a",
    "nodes": {
        "a": {
            "media": {"voice": {"nl": "vraag-nl.ogg", "ar": "vraag-ar.ogg"}},
            "say": ["Luister even"],
        }
    },
}
AUDIO = {"nl": "uitleg-nl.mp3", "ar": "uitleg-ar.mp3"}


def test_audio_in_the_language_or_dutch() -> None:
    audio = {**FLOW, "nodes": {"a": {**FLOW["nodes"]["a"], "media": {"audio": AUDIO}}}}
    flow, problems = flow_from_data(audio, "main.yaml")
    assert flow is not None and problems == []
    flows = FlowSet({"main": flow}, rtl=frozenset({"ar"}))
    arabic = engine.begin(flows, "main", "ar", NOW).outputs
    polish = engine.begin(flows, "main", "pl", NOW).outputs
    assert arabic[0].media == ("audio", "uitleg-ar.mp3") and arabic[0].rtl
    assert polish[0].media == ("audio", "uitleg-nl.mp3")  # no Polish file: the Dutch one
    assert arabic[1].text == "Luister even" and arabic[1].media is None


def test_a_voice_prompt_only_in_its_own_language() -> None:
    """The engine marks the node's first message; the service around it adds the prompt."""
    flow, problems = flow_from_data(FLOW, "main.yaml")
    assert flow is not None and problems == []
    flows = FlowSet({"main": flow}, rtl=frozenset({"ar"}))
    [said] = engine.begin(flows, "main", "ar", NOW).outputs
    assert said.media is None and said.prompt == "main:a"
    media = flow.nodes["a"].media
    assert media is not None
    assert media.spoken("ar") == "vraag-ar.ogg" and media.spoken("nl") == "vraag-nl.ogg"
    assert media.spoken("pl") is None  # never the Dutch one


def test_media_mistakes_are_reported(tmp_path: Path) -> None:
    wrong = {
        **FLOW,
        "nodes": {
            "a": {"media": {"video": {"nl": "x.mp4"}}, "say": ["x"], "next": "b"},
            "b": {"media": {"audio": {"ar": "alleen-ar.mp3"}}, "say": ["y"], "next": "c"},
            "c": {"media": {"photo": {"nl": "weg.jpg"}}, "say": ["z"], "next": "d"},
            "d": {"media": {"voice": {"ar": "stem-ar.ogg"}}, "say": ["w"]},
        },
    }
    (tmp_path / "main.yaml").write_text(yaml.safe_dump(wrong, allow_unicode=True))
    (tmp_path / "stem-ar.ogg").write_bytes(b"OggS")
    _, _, problems = check_folder(tmp_path, tmp_path, ["nl"])
    shown = "\n".join(str(p) for p in problems)
    assert "node 'a': 'media' kind 'video' is not one of voice, audio, photo, document" in shown
    assert "node 'b': 'media' needs a Dutch file ('nl')" in shown
    assert "node 'c': media file for nl not found: weg.jpg" in shown
    assert "node 'd'" not in shown  # a voice prompt needs no Dutch one


def test_shipped_defaults_folder_still_checks(tmp_path: Path) -> None:
    shutil.copytree(Path(__file__).resolve().parents[2] / "flows" / "defaults", tmp_path / "f")
    flows, _, problems = check_folder(tmp_path / "f", tmp_path, ["nl"])
    assert len(flows) == 7 and problems == []
