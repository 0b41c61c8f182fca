"""The VP's case card (/case ALIAS) and notes (/note ALIAS TEXT): only for a case the VP is
on, the same answer for anyone else's as for none; notes sealed at rest, read by the VPs on
the case only (coordinators see a count), erased with the case by the purge and /forget."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.services import staff_words as words
from bot.services.case_card import MAX_NOTE
from bot.services.reception import FORGET_YES
from bot.services.relay import Said
from flows.inputs import Command, Pick, Text
from flows.outputs import Reply
from storage.people import Profile
from storage.tables import CaseNoteRow
from tests.bot.services.test_cases import CATALOGS
from tests.bot.services.test_retention import purge_on
from tests.bot.services.world import AMSTERDAM, MORNING, World, join

NL = CATALOGS.translator("nl")  # staff who chose no language read Dutch
QUESTION = "Mijn dochter van 9 wil niet meer naar school sinds de herfstvakantie."
NOTE = "School gebeld; intern begeleider belt vrijdag terug."
ANSWERS = {"topic": "school", "question": QUESTION, "safe_time": "na 15 uur"}


async def a_case(world: World, parent: int, vp: int, urgent: bool = False) -> str:
    """The parent passes a question on; the VP (the only one who fits) accepts it."""
    key = world.core.vault.subject_hash("telegram", parent)
    async with world.core.database.transaction() as uow:
        row = await uow.parents.get_or_create(
            "telegram", key, world.core.vault.seal(parent), world.clock.now()
        )
        await uow.parents.set_language(row.id, "nl", world.clock.now())
        case, _ = await world.core.reception.cases.open(
            uow, row.id, "nl", ANSWERS, urgent, world.clock.now()
        )
        assert case is not None
        [(offer, _, _)] = await uow.cases.offers_of(case.id)
    await world.say(vp, Pick(f"offer:{offer}:yes"))
    return case.alias


async def command(world: World, who: int, name: str, argument: str | None = None) -> list[Reply]:
    return await world.say(who, Command(name, argument))


async def note_rows(world: World) -> list[str]:
    t = CaseNoteRow.__table__.c  # type: ignore[attr-defined]
    async with world.core.database.engine.connect() as connection:
        return list((await connection.execute(select(t.sealed_text))).scalars())


def not_yours(alias: str) -> list[str]:
    return [NL.gettext("{alias} is not one of your open questions.").format(alias=alias)]


def texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies]


async def test_the_card_shows_facts_answers_next_step_and_notes(world: World) -> None:
    amina = await join(world, 801, Profile("vp", "Amina E", ("nl",), "f"))
    alias = await a_case(world, 800, 801, urgent=True)
    world.clock.advance(timedelta(hours=1))
    [saved] = await command(world, 801, "note", f"{alias.lower()} {NOTE}")
    [*_, card_notes] = card = await command(world, 801, "case", alias)
    head, question, safe_time = card[:3]
    settings = world.core.coordinator.current
    at = words.time_of_day
    assert saved.text == NL.gettext(
        "Your note on {alias} is saved. The vertrouwenspersonen on this question see it "
        "with /case {alias}."
    ).format(alias=alias)
    assert NOTE not in saved.text
    for line in (
        NL.gettext("Question {alias}").format(alias=alias),
        NL.gettext("Language: {language}").format(language=words.language(NL, "nl")),
        NL.gettext("Topic: {topic}").format(topic=words.topic(NL, "school")),
        NL.gettext("State: {state}").format(state=words.state(NL, "accepted")),
        NL.gettext("Deadline: {time}").format(
            time=at(NL, MORNING + settings.urgent.breach_after, AMSTERDAM)
        ),
        NL.gettext("Next step: {step}").format(  # the reminder (1 day) before the check-in
            step=NL.gettext("a reminder to write to the parent, on {time}").format(
                time=at(NL, MORNING + settings.follow_ups.vp_reminder_after, AMSTERDAM)
            )
        ),
    ):
        assert line in head.text.split("\n"), line
    left = NL.gettext("urgent, within {duration}").format(
        duration=words.duration(NL, settings.urgent.breach_after - timedelta(hours=1))
    )
    assert NL.gettext("Urgency: {urgency}").format(urgency=left) in head.text
    assert QUESTION not in head.text and NOTE not in head.text  # the head is not protected
    assert question.text == QUESTION and question.protect
    assert "na 15 uur" in safe_time.text and safe_time.protect
    when = at(NL, MORNING + timedelta(hours=1), AMSTERDAM)
    assert card_notes.text == f"{NL.gettext('Notes:')}\n{when} – VP {amina} (Amina): {NOTE}"
    assert card_notes.protect

    # The VP writes to the parent: the reminder is moot, the check-in comes next.
    await world.say(801, Text("Hallo"), Said("text", 801, 5, "Hallo"))
    [head, *_] = await command(world, 801, "case", alias)
    checkin = at(NL, MORNING + settings.follow_ups.checkin_after, AMSTERDAM)
    step = NL.gettext("a check-in with the parent on {time}").format(time=checkin)
    assert NL.gettext("Next step: {step}").format(step=step) in head.text
    assert NL.gettext("Urgency: {urgency}").format(urgency=NL.gettext("urgent")) in head.text
    assert NL.gettext("Deadline: {time}").split("{time}")[0] not in head.text  # met
    async with world.core.database.transaction() as uow:
        case = await uow.cases.by_alias(alias)
        assert case is not None
        log = await uow.cases.access_log(case.id)
    assert (amina, "note") in log and (amina, "card") in log


async def test_notes_are_sealed_at_rest(world: World) -> None:
    await join(world, 801, Profile("vp", "Amina E", ("nl",), "f"))
    alias = await a_case(world, 800, 801)
    await command(world, 801, "note", f"{alias} {NOTE}")
    [sealed] = await note_rows(world)
    assert NOTE not in sealed and "School" not in sealed
    assert world.core.vault.open(sealed) == NOTE


async def test_another_vp_gets_what_a_case_that_does_not_exist_gets(world: World) -> None:
    """Omar is not on Amina's case: /case and /note answer as for an alias nobody has, and
    his note is not kept; a second person brought onto the case reads the notes."""
    await join(world, 801, Profile("vp", "Amina E", ("nl",), "f"))
    omar = await join(world, 802, Profile("vp", "Omar B", ("ar",), "m"))
    alias = await a_case(world, 800, 801)
    await command(world, 801, "note", f"{alias} {NOTE}")
    unknown = "".join(c for c in "QWXYZ9" if c not in alias)[:4]
    assert texts(await command(world, 802, "case", alias)) == not_yours(alias)
    assert texts(await command(world, 802, "case", unknown)) == not_yours(unknown)
    assert texts(await command(world, 802, "note", f"{alias} mijn notitie")) == not_yours(alias)
    assert texts(await command(world, 802, "note", f"{unknown} mijn notitie")) == not_yours(unknown)
    assert texts(await command(world, 802, "case")) == [NL.gettext("You have no open questions.")]
    async with world.core.database.transaction() as uow:
        case = await uow.cases.by_alias(alias)
    assert case is not None
    stolen = await world.say(802, Pick(f"card:{case.id}"))
    async with world.core.database.transaction() as uow:
        assert not any(person == omar for person, _ in await uow.cases.access_log(case.id))
        await uow.cases.add_member(case.id, omar, world.clock.now())  # a duo, consented
    assert texts(stolen) == [NL.gettext("That button no longer works.")]
    assert len(await note_rows(world)) == 1
    *_, notes = await command(world, 802, "case", alias)
    assert NOTE in notes.text


async def test_a_note_that_is_empty_or_too_long_is_not_kept(world: World) -> None:
    await join(world, 801, Profile("vp", "Amina E", ("nl",), "f"))
    alias = await a_case(world, 800, 801)
    usage = NL.ngettext(
        "Write /note, the question's code and your note of at most {count} character, "
        "for example /note {alias} Called the school.",
        "Write /note, the question's code and your note of at most {count} "
        "characters, for example /note {alias} Called the school.",
        MAX_NOTE,
    ).format(count=MAX_NOTE, alias="K7F2")
    too_long = NL.ngettext(
        "That note is too long: a note has at most {count} character. Nothing was saved.",
        "That note is too long: a note has at most {count} characters. Nothing was saved.",
        MAX_NOTE,
    ).format(count=MAX_NOTE)
    assert texts(await command(world, 801, "note")) == [usage]
    assert texts(await command(world, 801, "note", alias)) == [usage]
    assert texts(await command(world, 801, "note", f"{alias} {'x' * (MAX_NOTE + 1)}")) == [too_long]
    assert await note_rows(world) == []
    await command(world, 801, "note", f"{alias} {'x' * MAX_NOTE}")
    assert len(await note_rows(world)) == 1


async def test_without_an_alias_the_vp_chooses(world: World) -> None:
    await join(world, 801, Profile("vp", "Amina E", ("nl",), "f", capacity=5))
    first = await a_case(world, 800, 801)
    [only, *_] = await command(world, 801, "case")
    assert NL.gettext("Question {alias}").format(alias=first) in only.text
    second = await a_case(world, 803, 801)
    [choice] = await command(world, 801, "case")
    assert choice.text == NL.gettext("Which question?")
    labels = [c.label for c in choice.all_choices]
    assert [label.split(" ")[0] for label in labels] == [first, second]
    [head, *_] = await world.say(801, Pick(choice.all_choices[1].action))
    assert NL.gettext("Question {alias}").format(alias=second) in head.text


async def test_a_coordinator_sees_how_many_notes_never_their_text(world: World) -> None:
    await join(world, 801, Profile("vp", "Amina E", ("nl",), "f"))
    await join(world, 809, Profile("coordinator", "Sanne de Vries"))
    alias = await a_case(world, 800, 801)
    [before] = await command(world, 809, "case", alias)
    await command(world, 801, "note", f"{alias} {NOTE}")
    await command(world, 801, "note", f"{alias} Tweede notitie")
    [after] = await command(world, 809, "case", alias)
    count = NL.ngettext(
        "{count} note by the vertrouwenspersonen; only they read it.",
        "{count} notes by the vertrouwenspersonen; only they read them.",
        2,
    ).format(count=2)
    assert after.text == f"{before.text}\n{count}"
    assert NOTE not in after.text and "Tweede" not in after.text


async def test_a_parent_cannot_reach_a_note(world: World) -> None:
    await join(world, 801, Profile("vp", "Amina E", ("nl",), "f"))
    alias = await a_case(world, 800, 801)
    await command(world, 801, "note", f"{alias} {NOTE}")
    unknown = await command(world, 800, "nonsense")
    for asked in (("case", alias), ("note", f"{alias} hallo"), ("case", None), ("note", None)):
        assert texts(await command(world, 800, *asked)) == texts(unknown)
    assert len(await note_rows(world)) == 1


async def test_the_purge_erases_the_notes_with_the_case(world: World) -> None:
    await join(world, 801, Profile("vp", "Amina E", ("nl",), "f"))
    alias = await a_case(world, 800, 801)
    await world.say(801, Text("Hallo"), Said("text", 801, 5, "Hallo"))
    await command(world, 801, "note", f"{alias} {NOTE}")
    [outcomes] = await command(world, 801, "close", alias)
    await world.say(801, Pick(outcomes.choices[0][0].action))  # helped
    await purge_on(world, 89)
    assert len(await note_rows(world)) == 1  # kept while the case is
    await purge_on(world, 91)
    assert await note_rows(world) == []


async def test_forget_erases_the_notes_at_once(world: World) -> None:
    await join(world, 801, Profile("vp", "Amina E", ("nl",), "f"))
    alias = await a_case(world, 800, 801)
    await command(world, 801, "note", f"{alias} {NOTE}")
    assert len(await note_rows(world)) == 1
    await command(world, 800, "forget")
    await world.say(800, Pick(FORGET_YES))
    assert await note_rows(world) == []
    assert texts(await command(world, 801, "case", alias)) == not_yours(alias)
