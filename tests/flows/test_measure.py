"""What the flows ask of a parent, measured: the shipped flows hold the limits in every
language; a measure counts what a parent reads and taps; `flows check` warns and
`flows measure` fails when an organisation's own flows ask too much."""

from __future__ import annotations

import asyncio
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.i18n import LOCALES_DIR
from bot.services.languages import LANGUAGES
from bot.services.voice_prompts import coverage, spoken_nodes
from flows.flowset import FlowSet, Translation
from flows.library import check_folder, load_flowset
from flows.limits import MAX_FIRST_SCREEN_WORDS, MAX_RETURNING_WORDS, MAX_TAPS_TO_HANDOFF
from flows.loader import flow_from_data
from flows.measure import Measures, Reading, measure, over_limits, voice_coverage
from flows.problems import WARNING
from storage import Database
from storage.prompts import VoicePrompt
from tests.conftest import TEST_SECRET_KEY
from tests.live import migrated, start_cli

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = ROOT / "flows" / "defaults"
RTL = frozenset(code for code, language in LANGUAGES.items() if language.rtl)
NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
ASK_WAY = ("welcome:menu", "ask:topic", "ask:preference", "ask:what_next", "ask:consent")


@pytest.fixture(scope="module")
def shipped() -> FlowSet:
    flows, _ = load_flowset(DEFAULTS, LOCALES_DIR, list(LANGUAGES), RTL)
    return flows


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_shipped_flows_hold_the_limits(shipped: FlowSet, lang: str) -> None:
    found = measure(shipped, lang)
    assert over_limits(found) == []
    # Topic, preference, what we do and the consent all stay on the way; the question is typed.
    assert found.path == ASK_WAY and found.taps == len(ASK_WAY) <= MAX_TAPS_TO_HANDOFF
    assert found.urgent_taps is not None and found.urgent_taps <= MAX_TAPS_TO_HANDOFF
    assert found.returning.messages == 2  # the greeting and the menu, not the welcome again


def test_the_shipped_welcome_is_short_in_dutch_and_english(shipped: FlowSet) -> None:
    for lang in ("nl", "en"):
        found = measure(shipped, lang)
        assert 0 < found.first.words <= MAX_FIRST_SCREEN_WORDS, lang
        assert 0 < found.returning.words <= MAX_RETURNING_WORDS, lang
    assert measure(shipped, "nl").first.messages == 3  # two short messages, then the menu


def flowset(*flows: dict[str, Any], translations: dict[str, Any] | None = None) -> FlowSet:
    built = {}
    for data in flows:
        flow, problems = flow_from_data(data, f"{data['flow']}.yaml")
        assert flow is not None and problems == [], problems
        built[flow.name] = flow
    table = {
        lang: {ctxt: Translation(text) for ctxt, text in texts.items()}
        for lang, texts in (translations or {}).items()
    }
    return FlowSet(built, table)


WELCOME: dict[str, Any] = {
    "schema": 1,
    "flow": "welcome",
    "start": "hello",
    "returning": "back",
    "nodes": {
        "hello": {"say": ["Hallo daar.", "Wij helpen je graag."], "next": "menu"},
        "back": {"say": ["Fijn dat je er bent."], "next": "menu"},
        "menu": {
            "say": ["Wat wil je?"],
            "choose": [
                {"label": "Vragen", "goto": "question"},
                {"label": "Spoed", "goto": "urgent"},
                {"label": "Omweg", "goto": "detour"},
            ],
            "other": "menu",
        },
        "question": {
            "say": ["Typ je vraag."],
            "ask": {"test": "text", "save": "question", "goto": "sure"},
            "other": "question",
        },
        "sure": {
            "say": ["Doorgeven?"],
            "ask": {"test": "yes_no", "goto": "passed", "no": "menu"},
            "choose": [{"label": "Ja", "goto": "passed"}],
            "other": "sure",
        },
        "passed": {"say": ["Doorgegeven."], "do": ["open_case", "end"]},
        "urgent": {"say": ["Spoed."], "do": ["mark_urgent", "open_case", "end"]},
        "detour": {
            "say": ["Nog een keer kiezen."],
            "choose": [{"label": "Verder", "goto": "passed"}],
            "other": "detour",
        },
    },
}


def test_words_and_messages_up_to_the_first_buttons() -> None:
    found = measure(flowset(WELCOME), "nl")
    assert (found.first.words, found.first.messages) == (9, 3)
    assert (found.returning.words, found.returning.messages) == (8, 2)


def test_each_language_is_measured_in_its_own_words() -> None:
    english = {"en": {"welcome:hello:say.0": "Hello there, and a very warm welcome to you."}}
    found = measure(flowset(WELCOME, translations=english), "en")
    assert (found.first.words, found.first.messages) == (16, 3)


def test_typed_answers_are_free_and_buttons_cost_a_tap() -> None:
    found = measure(flowset(WELCOME), "nl")
    # "Vragen", then the question and a typed "ja": one tap. The detour costs two.
    assert (found.taps, found.path) == (1, ("welcome:menu",))
    assert (found.urgent_taps, found.urgent_path) == (1, ("welcome:menu",))


def test_the_fewest_taps_win_over_the_first_button() -> None:
    nodes = dict(WELCOME["nodes"])
    nodes["question"] = {**nodes["question"], "ask": {**nodes["question"]["ask"], "goto": "again"}}
    nodes["again"] = {  # three more taps on the way that opens with the first button
        "say": ["Echt?"],
        "choose": [{"label": "Ja", "goto": "again2"}],
        "other": "again",
    }
    nodes["again2"] = {"say": ["Zeker?"], "choose": [{"label": "Ja", "goto": "sure"}], "other": "a"}
    nodes["a"] = {"say": ["…"], "next": "menu"}
    found = measure(flowset({**WELCOME, "nodes": nodes}), "nl")
    assert (found.taps, found.path) == (2, ("welcome:menu", "welcome:detour"))


def test_no_way_to_a_case_is_named() -> None:
    nodes = {k: v for k, v in WELCOME["nodes"].items() if k not in ("passed", "urgent")}
    nodes["passed"] = {"say": ["Nee."], "do": ["end"]}
    nodes["urgent"] = nodes["passed"]
    found = measure(flowset({**WELCOME, "nodes": nodes}), "nl")
    assert found.taps is None and found.urgent_taps is None
    assert over_limits(found) == ["no way from the menu to pass a question on in nl"]


def test_a_voice_prompt_counts_in_its_own_language_only() -> None:
    nodes = dict(WELCOME["nodes"])
    nodes["hello"] = {**nodes["hello"], "media": {"voice": {"ar": "hallo-ar.ogg"}}}
    flows = flowset({**WELCOME, "nodes": nodes})
    recorded = {("welcome", "menu", "ar"), ("welcome", "menu", "tr")}
    arabic, dutch = measure(flows, "ar", recorded), measure(flows, "nl", recorded)
    assert (arabic.voiced, arabic.with_texts) == (2, 8)
    assert (dutch.voiced, dutch.with_texts, dutch.voice_share) == (0, 8, 0.0)


@pytest.mark.parametrize("lang", ["ar", "nl"])
def test_voice_coverage_is_counted_as_i18n_status_counts_it(shipped: FlowSet, lang: str) -> None:
    recorded = {("welcome", "hello", "ar"), ("ask", "topic", "ar"), ("welcome", "menu", "nl")}
    assert voice_coverage(shipped, recorded, lang) == coverage(shipped, recorded, lang)


def test_limits_hold_for_nl_and_en_words_and_every_language_taps() -> None:
    long_welcome = Measures("nl", Reading(41, 3), Reading(16, 2), 6, (), 2, (), 0, 1)
    assert over_limits(long_welcome) == [
        "the first screen has 41 words in nl; at most 40 before the first buttons",
        "a returning parent reads 16 words in nl before the menu; at most 15",
        "6 taps from the menu to pass a question on in nl; at most 5",
    ]
    reported_only = Measures("ar", Reading(90, 3), Reading(30, 2), 5, (), 6, (), 0, 1)
    assert over_limits(reported_only) == [
        "6 taps from the menu to pass an urgent case on in ar; at most 5"
    ]


# The organisation's own flows: a copy of the shipped ones, edited as a coordinator would.


def organisation(tmp_path: Path, languages: str = "[nl]") -> Path:
    """A copy of the shipped flows; the languages leave out English, whose catalog the
    limits test above holds (these tests are about the command, not the catalogs)."""
    folder = tmp_path / "flows"
    shutil.copytree(DEFAULTS, folder)
    settings = folder / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace("languages: [nl, en, ar, tr, pl, uk, so, ti, rif]", f"languages: {languages}"),
        encoding="utf-8",
    )
    return folder


def edit(folder: Path, name: str, change: Any) -> None:
    path = folder / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["nodes"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def longer_welcome(nodes: dict[str, Any]) -> None:
    nodes["hello"]["say"][0] += " Wij zijn er voor alle ouders in de stad, elke dag van de week."


def longer_way(nodes: dict[str, Any]) -> None:
    """One more tap between what to do and the consent."""
    nodes["what_next"]["choose"][1]["goto"] = "sure"
    nodes["sure"] = {
        "say": ["Weet je het zeker?"],
        "choose": [{"label": "Ja", "goto": "consent"}],
        "other": "sure",
    }


async def measure_cli(
    tmp_path: Path, folder: Path, command: str = "measure", **extra: str
) -> tuple[int, str]:
    settings = {
        "FLOWS_DIR": str(folder),
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'absent.db'}",
        **extra,
    }
    process = await start_cli(tmp_path, "flows", command, str(folder), **settings)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None and "Traceback" not in stderr.decode(), stderr
    return process.returncode, stdout.decode()


async def test_flows_measure_prints_each_language_and_passes(tmp_path: Path) -> None:
    code, out = await measure_cli(tmp_path, organisation(tmp_path, "[nl, ar, tr]"))
    assert code == 0, out
    lines = out.splitlines()
    rows = {line.split()[0]: line for line in lines if line.split()[:1] in (["nl"], ["ar"], ["tr"])}
    assert set(rows) == {"nl", "ar", "tr"}
    assert "no database at" in out and "within the limits" in out
    assert "fewest taps to pass a question on: " + " → ".join(ASK_WAY) in out
    assert not (tmp_path / "absent.db").exists()  # measuring creates no database


async def test_a_too_long_welcome_fails_flows_measure_and_warns_in_flows_check(
    tmp_path: Path,
) -> None:
    folder = organisation(tmp_path)
    edit(folder, "welcome", longer_welcome)
    code, out = await measure_cli(tmp_path, folder)
    assert code == 1, out
    exceeded = [line for line in out.splitlines() if line.startswith("exceeded: ")]
    assert len(exceeded) == 1, out
    assert re.fullmatch(
        r"exceeded: the first screen has 5\d words in nl; at most 40 .*", exceeded[0]
    )
    code, out = await measure_cli(tmp_path, folder, "check")
    assert code == 0, out  # the organisation's own wording: a warning, never refused
    [warning] = [line for line in out.splitlines() if "first screen" in line]
    assert warning.startswith("warning: welcome.yaml: the first screen has 5"), warning


async def test_a_too_long_way_to_a_vp_fails_flows_measure(tmp_path: Path) -> None:
    folder = organisation(tmp_path)
    edit(folder, "ask", longer_way)
    code, out = await measure_cli(tmp_path, folder)
    assert code == 1, out
    assert "exceeded: 6 taps from the menu to pass a question on in nl; at most 5" in out, out
    assert "ask:what_next → ask:sure → ask:consent" in out
    _, _, problems = check_folder(folder, LOCALES_DIR, ["nl"])
    [warning] = [p for p in problems if "6 taps" in p.message]
    assert warning.level == WARNING and "ask:what_next → ask:sure → ask:consent" in warning.message


async def test_flows_measure_counts_the_prompts_recorded_in_the_database(
    tmp_path: Path, database_url: str
) -> None:
    url = await migrated(database_url)
    database = Database(url)
    async with database.transaction() as uow:
        for node in ("hello", "menu"):
            await uow.voice_prompts.record(
                VoicePrompt("welcome", node, "ar", f"file-{node}", "v1", 1, NOW)
            )
    await database.dispose()
    folder = organisation(tmp_path, "[nl, ar]")
    code, out = await measure_cli(tmp_path, folder, DATABASE_URL=url)
    assert code == 0, out
    assert "voice prompts: 2 recorded, read from the database" in out, out
    [arabic] = [line for line in out.splitlines() if line.startswith("ar ")]
    [dutch] = [line for line in out.splitlines() if line.startswith("nl ")]
    nodes = len(spoken_nodes(load_flowset(folder, LOCALES_DIR, ["nl"], RTL)[0]))
    assert arabic.endswith(f" (2 of {nodes})") and dutch.endswith(f"0% (0 of {nodes})"), out


async def test_flows_measure_says_when_the_database_is_not_reachable(tmp_path: Path) -> None:
    folder = organisation(tmp_path)
    unreachable = "postgresql://tussenin@127.0.0.1:1/nowhere"
    code, out = await measure_cli(tmp_path, folder, DATABASE_URL=unreachable)
    assert code == 0, out
    assert "voice prompts: the database is not reachable" in out, out
    assert "only those named in the flow files are counted" in out
