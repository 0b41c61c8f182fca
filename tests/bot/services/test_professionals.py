"""A professional of a partner in a duo (#17), on the production wiring: proposed with /duo,
joined on the parent's yes, and out of every case when a coordinator takes them off."""

from __future__ import annotations

from datetime import timedelta

from bot.services.relay import Said
from bot.services.roster import StaffRoster
from bot.services.staff import Staff
from flows.inputs import Command, Pick, Text
from storage.people import Profile
from tests.bot.services.test_referrals import action, with_partners
from tests.bot.services.world import World, a_case_accepted, join


async def test_a_professional_taken_off_leaves_the_duo(world: World) -> None:
    with_partners(world)
    coordinator = await join(world, 930, Profile("coordinator", "Sanne de Vries"))
    await join(world, 931, Profile("vp", "Amina E", ("nl",), "f"))
    async with world.core.database.transaction() as uow:
        code, _ = await Staff(world.core.vault).invite(
            uow,
            Profile("partner", "Jan Bakker", partner_id="cjg_zuidoost"),
            world.clock.now(),
            timedelta(days=1),
        )
    [welcome] = await world.say(932, Command("start", code))
    alias = await a_case_accepted(world, 933, 931)
    await world.say(931, Text("Hoi"), Said("text", 931, 1, "Hoi"))
    [choice] = await world.say(931, Command("duo", alias))
    await world.say(931, Pick(action(choice, "Jan (CJG Zuidoost)")))
    consent = [p for _, p in await world.to(933) if p.get("choices")][-1]
    await world.say(933, Pick(consent["choices"][0][0][1]))  # yes
    async with world.core.database.transaction() as uow:
        case = await uow.cases.by_alias(alias)
        jan = await uow.people.find(world.core.vault.subject_hash("telegram", 932))
        assert case is not None and jan is not None
        joined = [d.person_id for d in await uow.professionals.of_case(case.id)]
        members = await uow.cases.members(case.id)
        roster = StaffRoster(
            world.core.reception.cases,
            Staff(world.core.vault),
            lambda: timedelta(days=7),
            world.core.reception.staff_languages,
        )
        await roster.deactivate(uow, coordinator, jan, world.clock.now())
        after = await uow.cases.members(case.id)
        still = await uow.professionals.of_case(case.id)
    to_amina = [p.get("text", "") for _, p in await world.to(931)]
    to_parent = [p.get("text", "") for _, p in await world.to(933)]
    assert "CJG Zuidoost" in welcome.text and jan.display_name == "Jan (CJG Zuidoost)"
    assert joined == [jan.id] and jan.id in members
    assert jan.id not in after and still == []
    assert any(alias in t and "Jan (CJG Zuidoost)" in t for t in to_amina[-1:])
    assert "Jan (CJG Zuidoost)" in to_parent[-1]
    # taken off, he can write to nobody
    [refused] = await world.say(932, Text("Nog iets?"), Said("text", 932, 2, "Nog iets?"))
    assert alias not in refused.text


async def test_the_parent_may_let_the_professional_read_what_came_before(world: World) -> None:
    with_partners(world)
    await join(world, 941, Profile("vp", "Amina E", ("nl",), "f"))
    async with world.core.database.transaction() as uow:
        code, _ = await Staff(world.core.vault).invite(
            uow,
            Profile("partner", "Jan Bakker", partner_id="cjg_zuidoost"),
            world.clock.now(),
            timedelta(days=1),
        )
    await world.say(942, Command("start", code))
    alias = await a_case_accepted(world, 943, 941)
    earlier = "Mijn man weet niet dat ik hier schrijf."
    await world.say(941, Text("Hoi"), Said("text", 941, 1, "Hoi"))
    await world.say(943, Text(earlier), Said("text", 943, 2, earlier))
    [choice] = await world.say(941, Command("duo", alias))
    await world.say(941, Pick(action(choice, "Jan (CJG Zuidoost)")))
    consent = [p for _, p in await world.to(943) if p.get("choices")][-1]
    before = len(await world.to(942))
    await world.say(943, Pick(consent["choices"][1][0][1]))  # yes, also what came before
    got = [p for _, p in await world.to(942)][before:]
    assert any(earlier in p.get("text", "") and p["protect"] for p in got)
