"""The conversation of an open case is kept for whoever takes it over (#17): sealed at rest,
erased with the case at the purge and at /forget; a family's earlier question is shown only
on the card of the case that continues it."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.reception import FORGET_YES
from bot.services.relay import Said
from flows.inputs import Command, Pick, Text
from storage.people import Profile
from storage.tables import CaseMessageRow
from tests.bot.services.test_retention import purge_on
from tests.bot.services.world import World, a_case_accepted, join

FROM_VP = "Zullen we donderdag bellen, rond drie uur?"
FROM_PARENT = "Ja graag, dan is mijn man aan het werk."


async def kept(world: World) -> list[str]:
    t = CaseMessageRow.__table__.c  # type: ignore[attr-defined]
    async with world.core.database.engine.connect() as connection:
        return list((await connection.execute(select(t.sealed_said))).scalars())


async def a_conversation(world: World, parent: int, vp: int) -> str:
    alias = await a_case_accepted(world, parent, vp)
    await world.say(vp, Text(FROM_VP), Said("text", vp, 1, FROM_VP))
    await world.say(parent, Text(FROM_PARENT), Said("text", parent, 2, FROM_PARENT))
    return alias


async def test_the_conversation_is_kept_sealed_and_goes_with_the_purge(world: World) -> None:
    await join(world, 951, Profile("vp", "Amina E", ("nl",), "f"))
    alias = await a_conversation(world, 950, 951)
    stored = await kept(world)
    assert len(stored) == 2
    assert not any(FROM_VP in s or FROM_PARENT in s or "donderdag" in s for s in stored)
    [outcomes] = await world.say(951, Command("close", alias))
    await world.say(951, Pick(outcomes.choices[0][0].action))
    await purge_on(world, 89)
    assert len(await kept(world)) == 2  # kept with the closed case until its retention ends
    await purge_on(world, 91)
    assert await kept(world) == []


async def test_forget_erases_the_conversation_at_once(world: World) -> None:
    await join(world, 961, Profile("vp", "Amina E", ("nl",), "f"))
    await a_conversation(world, 960, 961)
    assert len(await kept(world)) == 2
    await world.say(960, Command("forget"))
    await world.say(960, Pick(FORGET_YES))
    assert await kept(world) == []


async def test_an_earlier_question_shows_only_on_the_card_that_continues_it(world: World) -> None:
    await join(world, 971, Profile("vp", "Amina E", ("nl",), "f"))
    await join(world, 972, Profile("vp", "Noor B", ("nl",), "f"))
    first = await a_case_accepted(world, 970, 971)
    await world.say(971, Command("note", f"{first} Vader werkt in ploegendienst."))
    [outcomes] = await world.say(971, Command("close", first))
    await world.say(971, Pick(outcomes.choices[0][0].action))
    other = await a_case_accepted(world, 973, 972)
    back = await world.say(970, Text("Er is weer iets met school, wat nu?"))
    await world.say(970, Pick(back[0].choices[0][0].action))  # continue with Amina
    offer = [p for _, p in await world.to(971) if p.get("choices")][-1]
    await world.say(971, Pick(offer["choices"][0][0][1]))
    amina = await _id(world, 971)
    async with world.core.database.transaction() as uow:
        second = (await uow.cases.of_vp(amina))[-1]
    card = [r.text for r in await world.say(971, Command("case", second.alias))]
    noor = [r.text for r in await world.say(972, Command("case", other))]
    assert second.continues_id is not None and second.alias != first
    assert any(first in t for t in card) and any("ploegendienst" in t for t in card)
    assert not any(first in t or "ploegendienst" in t for t in noor)
    refused = [r.text for r in await world.say(972, Command("case", first))]
    assert len(refused) == 1 and "ploegendienst" not in refused[0]


async def _id(world: World, who: int) -> int:
    async with world.core.database.transaction() as uow:
        person = await uow.people.find(world.core.vault.subject_hash("telegram", who))
    assert person is not None
    return person.id
