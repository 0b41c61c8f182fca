"""/record: a coordinator picks flow, node and language from buttons, and their next voice
message becomes that node's prompt in that language; a text or /record again stops it, and
after an hour it is forgotten."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services.prompt_recording import RECORD_ACTION
from flows.inputs import MAX_BUTTON_DATA, Command, Input, Media, Pick, Text
from flows.outputs import Reply
from storage import Database
from storage.people import Profile
from tests.bot.services.test_cases import CATALOGS, NOW, register
from tests.bot.services.test_coordinator_desk import COORDINATOR_DESK, LIBRARY

NL = CATALOGS.translator("nl")
NOT_KEPT = "This voice message was not kept: first choose with /record what it is for."
NOT_VOICE = (
    "That is not a voice message. Hold the microphone button while you speak, "
    "or send any text to stop recording."
)


async def send(db: Database, person: int, incoming: Input, now: datetime = NOW) -> list[Reply]:
    async with db.transaction() as uow:
        coordinator = await uow.people.get(person)
        assert coordinator is not None
        return await COORDINATOR_DESK.handle(uow, coordinator, incoming, now)


def button(reply: Reply, starts: str) -> str:
    """The action of the button whose label starts with `starts`."""
    [action] = [c.action for c in reply.all_choices if c.label.startswith(starts)]
    return action


async def choose(db: Database, person: int, flow: str, node: str, lang: str) -> Reply:
    [flows] = await send(db, person, Command("record"))
    [nodes] = await send(db, person, Pick(button(flows, flow)))
    [languages] = await send(db, person, Pick(button(nodes, f"{node} ·")))
    [ask] = await send(db, person, Pick(button(languages, lang)))
    return ask


async def prompts(db: Database) -> dict[tuple[str, str, str], str]:
    async with db.transaction() as uow:
        return {(p.flow, p.node, p.language): p.file_id for p in await uow.voice_prompts.all()}


async def test_record_an_arabic_prompt_for_the_menu(database: Database) -> None:
    sanne = await register(database, 3, Profile("coordinator", "Sanne de Vries"))
    [flows] = await send(database, sanne, Command("record"))
    [nodes] = await send(database, sanne, Pick(button(flows, "welcome")))
    [languages] = await send(database, sanne, Pick(button(nodes, "menu ·")))
    [ask] = await send(database, sanne, Pick(button(languages, "العربية")))
    [saved] = await send(database, sanne, Media("voice", "VOICE-AR"))
    [again] = await send(database, sanne, Media("voice", "VOICE-AR-2"))  # nothing pending now
    current = LIBRARY.current
    # every flow with texts, each node with texts (name and the start of its Dutch text)
    assert [c.label for c in flows.all_choices] == sorted(
        name for name, flow in current.flows.items() if any(n.say for n in flow.nodes.values())
    )
    assert NL.gettext("Which flow is the voice prompt for?") == flows.text
    assert "menu · Wat wil je doen?" in [c.label for c in nodes.all_choices]
    assert any(c.label.startswith("how · Hier stel je") for c in nodes.all_choices)
    assert all(len(c.label) <= len("welcome_back · ") + 24 for c in nodes.all_choices)
    assert [c.label for c in languages.all_choices][:3] == ["Nederlands", "English", "العربية"]
    every = [*flows.all_choices, *nodes.all_choices, *languages.all_choices]
    assert all(len(c.action.encode()) <= MAX_BUTTON_DATA for c in every)
    assert all(c.action.startswith(RECORD_ACTION) for c in every)
    # the text to read out, in Arabic: the question and the buttons
    arabic = current.text("ar", "welcome:menu:say.0", "Wat wil je doen?")
    label = current.text("ar", "welcome:menu:choose.0", "💬 Een vraag stellen")
    assert arabic != "Wat wil je doen?" and arabic in ask.text and f"– {label}" in ask.text
    head = NL.gettext("Send the voice message now, in {language}. Read out this text:")
    assert ask.text.startswith(head.format(language="Arabisch"))
    assert "Arabisch" in saved.text and "menu" in saved.text and "welcome" in saved.text
    assert again.text == NL.gettext(
        "This voice message was not kept: first choose with /record what it is for."
    )
    assert await prompts(database) == {("welcome", "menu", "ar"): "VOICE-AR"}


async def test_a_text_stops_it_and_record_starts_again(database: Database) -> None:
    sanne = await register(database, 3, Profile("coordinator", "Sanne de Vries"))
    await choose(database, sanne, "welcome", "menu", "العربية")
    [stopped] = await send(database, sanne, Text("oeps"))
    [not_kept] = await send(database, sanne, Media("voice", "LATE"))
    await choose(database, sanne, "welcome", "menu", "Türkçe")
    [restart] = await send(database, sanne, Command("record"))  # drops the Turkish one
    [photo] = await send(database, sanne, Media("photo"))  # nothing pending: the help
    await choose(database, sanne, "welcome", "hello", "Polski")
    [not_voice] = await send(database, sanne, Media("photo"))
    [saved] = await send(database, sanne, Media("voice", "VOICE-PL"))
    assert stopped.text == NL.gettext("Nothing was recorded. Send /record to start again.")
    assert not_kept.text.startswith(NL.gettext(NOT_KEPT))
    assert restart.text == NL.gettext("Which flow is the voice prompt for?")
    assert "/record" in photo.text  # the help names it
    assert not_voice.text.startswith(NL.gettext(NOT_VOICE))
    assert "Pools" in saved.text  # the language in the reader's words
    assert await prompts(database) == {("welcome", "hello", "pl"): "VOICE-PL"}


async def test_after_an_hour_the_voice_is_not_kept(database: Database) -> None:
    sanne = await register(database, 3, Profile("coordinator", "Sanne de Vries"))
    await choose(database, sanne, "welcome", "menu", "Soomaali")
    late = NOW + timedelta(hours=1, minutes=1)
    [too_late] = await send(database, sanne, Media("voice", "VOICE-SO"), late)
    await choose(database, sanne, "welcome", "menu", "Soomaali")
    in_time = NOW + timedelta(minutes=59)
    [saved] = await send(database, sanne, Media("voice", "VOICE-SO-2"), in_time)
    assert too_late.text.startswith(NL.gettext(NOT_KEPT))
    assert "Somalisch" in saved.text
    assert await prompts(database) == {("welcome", "menu", "so"): "VOICE-SO-2"}


async def test_buttons_of_other_flows_or_made_up_ones_do_nothing(database: Database) -> None:
    sanne = await register(database, 3, Profile("coordinator", "Sanne de Vries"))
    [flows] = await send(database, sanne, Command("record"))
    tag = button(flows, "welcome").rsplit(":", 1)[0]
    stale = await send(database, sanne, Pick(f"{RECORD_ACTION}00000000:0"))
    made_up = await send(database, sanne, Pick(f"{tag}:99"))
    no_node = await send(database, sanne, Pick(f"{tag}:0:99"))
    no_language = await send(database, sanne, Pick(f"{tag}:0:0:xx"))
    too_long = await send(database, sanne, Pick(f"{tag}:0:0:ar:more"))
    no_longer = NL.gettext("That button no longer works.")
    assert [r.text for r in stale] == [no_longer, flows.text]  # the flows again, as they are
    assert [r.text for r in made_up] == [no_longer, flows.text]
    assert [r.text for r in too_long] == [no_longer, flows.text]
    assert [r.text for r in no_node] == [no_longer]
    assert [r.text for r in no_language] == [NL.gettext("That choice is no longer available.")]
    async with database.transaction() as uow:
        person = await uow.people.get(sanne)
    assert person is not None and person.recording == ""
    assert await prompts(database) == {}
