"""Voice prompts for parents who listen, on SQLite and PostgreSQL: a recorded prompt (or the
flow file's) goes before the node's first message, only ever in the parent's own language."""

from __future__ import annotations

from bot.services.voice_prompts import VoicePrompts, coverage
from flows.flowset import FlowSet
from flows.loader import flow_from_data
from flows.outputs import Reply
from storage import Database
from storage.people import Profile
from storage.prompts import VoicePrompt
from tests.bot.services.test_cases import NOW, register

FLOW = {
    "schema": 1,
    "flow": "welcome",
    "start": "hello",
    "nodes": {
        "hello": {"say": ["Welkom.", "Kies maar."], "next": "menu"},
        "menu": {
            "say": ["Wat wil je doen?"],
            "media": {"voice": {"tr": "menu-tr.ogg", "ar": "menu-ar.ogg"}},
            "choose": [{"label": "Vraag", "goto": "hello"}],
        },
        "quiet": {"do": ["end"]},  # no texts: nothing to speak
    },
}
PROMPTS = VoicePrompts()


def flows() -> FlowSet:
    flow, problems = flow_from_data(FLOW, "welcome.yaml")
    assert flow is not None and problems == []
    return FlowSet({"welcome": flow}, rtl=frozenset({"ar"}))


def replies(rtl: bool = False) -> list[Reply]:
    return [
        Reply("Welkom.", rtl=rtl, silent=True, prompt="welcome:hello"),
        Reply("Kies maar.", rtl=rtl),
        Reply("Wat wil je doen?", rtl=rtl, prompt="welcome:menu"),
    ]


async def record(db: Database, node: str, lang: str, file_id: str, by: int = 1) -> None:
    async with db.transaction() as uow:
        prompt = VoicePrompt("welcome", node, lang, file_id, "v1", by, NOW)
        await uow.voice_prompts.record(prompt)


async def test_a_recorded_prompt_goes_first_and_only_in_its_language(database: Database) -> None:
    await record(database, "hello", "ar", "OLD-FILE")
    await record(database, "hello", "ar", "AR-FILE", by=2)  # recorded again: replaces it
    await record(database, "hello", "pl", "PL-FILE")
    async with database.transaction() as uow:
        arabic = await PROMPTS.spoken(uow, flows(), "ar", replies(rtl=True))
        somali = await PROMPTS.spoken(uow, flows(), "so", replies())
        recorded = await PROMPTS.recorded(uow)
        [kept, _] = await uow.voice_prompts.all()
    assert [r.media for r in arabic] == [
        ("voice", "telegram:AR-FILE"),
        None,
        None,
        ("voice", "menu-ar.ogg"),  # the flow file's prompt where none was recorded
        None,
    ]
    assert [r.text for r in arabic] == ["", "Welkom.", "Kies maar.", "", "Wat wil je doen?"]
    assert arabic[0].rtl and arabic[0].silent and not arabic[3].silent
    assert arabic[0].prompt is None and arabic[1].prompt == "welcome:hello"
    # Somali has no prompt anywhere: not the Dutch, Arabic or Polish one
    assert somali == replies()
    assert recorded == {("welcome", "hello", "ar"), ("welcome", "hello", "pl")}
    assert (kept.file_id, kept.recorded_by, kept.version) == ("AR-FILE", 2, "v1")
    assert kept.recorded_at == NOW


async def test_a_recorded_prompt_comes_before_the_flow_files(database: Database) -> None:
    await record(database, "menu", "tr", "TR-FILE")
    async with database.transaction() as uow:
        turkish = await PROMPTS.spoken(uow, flows(), "tr", replies())
    assert [r.media for r in turkish if r.media] == [("voice", "telegram:TR-FILE")]


async def test_who_is_offered_to_listen(database: Database) -> None:
    async with database.transaction() as uow:
        before = {lang: await PROMPTS.offered(uow, flows(), lang) for lang in ("ar", "so", "pl")}
    await record(database, "hello", "so", "SO-FILE")
    async with database.transaction() as uow:
        after = {lang: await PROMPTS.offered(uow, flows(), lang) for lang in ("ar", "so", "pl")}
        no_files = await PROMPTS.offered(uow, FlowSet({}), "ar")
    assert before == {"ar": True, "so": False, "pl": False}  # Arabic: the flow file's prompt
    assert after == {"ar": True, "so": True, "pl": False}
    assert not no_files


async def test_replies_without_a_node_start_are_left_alone(database: Database) -> None:
    await record(database, "hello", "ar", "AR-FILE")
    plain = [Reply("Dank je."), Reply("Tot ziens.")]
    old_node = [Reply("Weg.", prompt="gone:node"), Reply("Ook weg.", prompt="welcome:gone")]
    async with database.transaction() as uow:
        assert await PROMPTS.spoken(uow, flows(), "ar", plain) == plain
        # a conversation on an older version may stand on a node the flows no longer have
        assert await PROMPTS.spoken(uow, flows(), "ar", old_node) == old_node


def test_coverage_counts_nodes_with_texts() -> None:
    recorded = {("welcome", "hello", "ar"), ("welcome", "hello", "so"), ("other", "x", "ar")}
    assert coverage(flows(), recorded, "ar") == (2, 2)  # hello recorded, menu in the file
    assert coverage(flows(), recorded, "so") == (1, 2)
    assert coverage(flows(), recorded, "tr") == (1, 2)
    assert coverage(flows(), recorded, "nl") == (0, 2)  # no Dutch prompt: none counted
    assert coverage(FlowSet({}), recorded, "ar") == (0, 0)


async def test_a_pending_recording_is_kept_with_the_person(database: Database) -> None:
    sanne = await register(database, 3, Profile("coordinator", "Sanne de Vries"))
    async with database.transaction() as uow:
        await uow.people.set_recording(sanne, "welcome:menu:ar", NOW)
    async with database.transaction() as uow:
        pending = await uow.people.get(sanne)
        assert pending is not None
        await uow.people.set_recording(sanne, "", None)
        found = await uow.people.find(pending.subject_hash)  # as every update reads it
    assert (pending.recording, pending.recording_at) == ("welcome:menu:ar", NOW)
    assert found is not None and (found.recording, found.recording_at) == ("", None)
