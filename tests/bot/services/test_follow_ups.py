"""Follow-ups on a clock the test controls, wired as in production (open_core, the task
runner): the check-in after acceptance, "not yet" → the VP is reminded → the coordinator
mediates; a reminder to a silent VP; quiet hours for parents, never for urgent steps; none
after /stop; the anonymous satisfaction question after closing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.services.relay import Said
from flows.inputs import Command, Pick, Text
from storage.people import Profile
from tests.bot.services.world import AMSTERDAM, MORNING, World, a_case_accepted, join


def texts(messages: list[tuple[datetime, dict[str, Any]]]) -> list[str]:
    return [payload.get("text", "") for _, payload in messages]


def reminder(world: World, alias: str) -> str:
    nl = world.core.catalogs.translator("nl")
    return nl.gettext(
        "Reminder: the parent of {alias} is waiting for your first message. Write to "
        "them here (reply to their question)."
    ).format(alias=alias)


async def test_check_in_not_yet_reminds_the_vp_then_the_coordinator_mediates(
    world: World,
) -> None:
    await join(world, 501, Profile("vp", "Noor B", ("nl",), "f"))
    await join(world, 502, Profile("coordinator", "Sanne de Vries"))
    alias = await a_case_accepted(world, 500, 501)
    # after one day without a first message the VP is reminded
    await world.tick_until(MORNING + timedelta(days=1, minutes=10))
    reminded = texts(await world.to(501)).count(reminder(world, alias))
    # three days after acceptance: the check-in, silent, without the topic
    await world.tick_until(MORNING + timedelta(days=3, minutes=10))
    checkin = [p for _, p in await world.to(500) if p.get("choices")][-1]
    not_yet = checkin["choices"][1][0][1]
    await world.say(500, Pick(not_yet))
    to_vp_after = texts(await world.to(501))
    await world.tick_until(MORNING + timedelta(days=5, minutes=20))
    to_coordinator = texts(await world.to(502))
    assert reminded == 1
    assert checkin["silent"] and alias not in checkin["text"]
    assert to_vp_after.count(reminder(world, alias)) == 2  # again at "not yet"
    assert any(f"/case {alias}" in t for t in to_coordinator)


async def test_a_vp_who_wrote_is_not_reminded_and_yes_ends_it(world: World) -> None:
    vp = await join(world, 511, Profile("vp", "Noor B", ("nl",), "f"))
    await join(world, 512, Profile("coordinator", "Sanne de Vries"))
    alias = await a_case_accepted(world, 510, 511)
    await world.say(511, Text("Hoi!"), Said("text", 511, 1, "Hoi!"))
    await world.tick_until(MORNING + timedelta(days=3, minutes=10))
    checkin = [p for _, p in await world.to(510) if p.get("choices")][-1]
    await world.say(510, Pick(checkin["choices"][0][0][1]))  # yes
    await world.tick_until(MORNING + timedelta(days=6))
    assert vp and reminder(world, alias) not in texts(await world.to(511))
    assert not any(f"/case {alias}" in t for t in texts(await world.to(512)))


async def test_quiet_hours_hold_check_ins_but_never_urgent_steps(world: World) -> None:
    await join(world, 521, Profile("vp", "Noor B", ("nl",), "f"))
    await join(world, 522, Profile("vp", "Hind M", ("nl",), "f"))
    # accepted at 22:30 Amsterdam: the check-in is due at 22:30 three days later
    await world.tick_until(datetime(2026, 11, 23, 21, 30, tzinfo=UTC))
    await a_case_accepted(world, 520, 521)
    await world.tick_until(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    sent = [(at, p) for at, p in await world.to(520) if p.get("choices")]
    local = [at.astimezone(AMSTERDAM) for at, _ in sent]
    assert len(sent) == 1 and sent[0][1]["silent"]
    assert local[0].date().isoformat() == "2026-11-27" and local[0].hour == 8
    # an urgent case opened at 18:00: its 4-hour step fires at 22:00, in the quiet hours
    world.clock.advance(timedelta(hours=8))  # Friday 18:00 Amsterdam
    key = world.core.vault.subject_hash("telegram", 523)
    async with world.core.database.transaction() as uow:
        row = await uow.parents.get_or_create(
            "telegram", key, world.core.vault.seal(523), world.clock.now()
        )
        case, _ = await world.core.reception.cases.open(
            uow, row.id, "nl", {}, True, world.clock.now()
        )
    assert case is not None
    await world.tick_until(world.clock.now() + timedelta(hours=4, minutes=10))
    async with world.core.database.transaction() as uow:
        history = await uow.cases.history(case.id)
    ladder = [detail for kind, detail in history if kind == "ladder"]
    assert ladder == [{"step": "everyone"}]


async def test_no_check_in_after_stop(world: World) -> None:
    await join(world, 531, Profile("vp", "Noor B", ("nl",), "f"))
    await a_case_accepted(world, 530, 531)
    before = len(await world.to(530))
    await world.say(530, Command("stop"))
    await world.tick_until(MORNING + timedelta(days=4))
    after = await world.to(530)
    assert len(after) == before  # /stop's own answer goes through the turn, not here


async def test_satisfaction_after_closing_is_counted_without_a_link(world: World) -> None:
    await join(world, 541, Profile("vp", "Noor B", ("nl",), "f"))
    alias = await a_case_accepted(world, 540, 541)
    await world.say(541, Text("Hoi!"), Said("text", 541, 1, "Hoi!"))
    [outcomes] = await world.say(541, Command("close", alias))
    await world.say(541, Pick(outcomes.choices[0][0].action))  # helped
    await world.tick_until(MORNING + timedelta(days=1, minutes=10))
    question = [p for _, p in await world.to(540) if p.get("choices")][-1]
    await world.say(540, Pick(question["choices"][0][0][1]))  # it helped
    async with world.core.database.transaction() as uow:
        counted = await uow.figures.satisfaction()
    assert question["silent"] and counted == {("2026-11-23", "nl", "helpful"): 1}
