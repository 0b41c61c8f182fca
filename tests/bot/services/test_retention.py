"""Retention: after the periods in the settings file, no row of a closed case remains, the
anonymous figures are right (and counted once), idle conversations and old audit entries go;
open cases stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.services.maintenance import schedule_daily
from bot.services.relay import Said
from flows.inputs import Command, Pick, Text
from storage.people import Profile
from storage.tables import (
    CaseAccessRow,
    CaseEventRow,
    CaseRow,
    ConversationRow,
    OfferRow,
    RelayRow,
)
from tests.bot.services.world import AMSTERDAM, MORNING, World, a_case_accepted, join


async def purge_on(world: World, days: int) -> None:
    """Run the daily purge task as the scheduler would, `days` after MORNING."""
    await world.tick_until(MORNING + timedelta(days=days), step=timedelta(hours=6))
    async with world.core.database.transaction() as uow:
        await schedule_daily(uow, world.clock.now(), AMSTERDAM)
    await world.runner.tick(world.clock.now())


async def rows(world: World, table: type, case_id: int | None = None) -> int:
    t = table.__table__  # type: ignore[attr-defined]
    query = select(func.count()).select_from(t)
    if case_id is not None:
        query = query.where((t.c.case_id if "case_id" in t.c else t.c.id) == case_id)
    async with world.core.database.engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


async def test_a_closed_case_is_purged_after_its_period_and_counted_once(world: World) -> None:
    await join(world, 601, Profile("vp", "Noor B", ("nl",), "f", capacity=5))
    closed = await a_case_accepted(world, 600, 601)
    world.clock.advance(timedelta(hours=2))
    await world.say(601, Text("Hoi"), Said("text", 601, 1, "Hoi"))
    [outcomes] = await world.say(601, Command("close", closed))
    await world.say(601, Pick(outcomes.choices[1][0].action))  # no contact
    still_open = await a_case_accepted(world, 602, 601)
    async with world.core.database.transaction() as uow:
        case = await uow.cases.by_alias(closed)
        kept = await uow.cases.by_alias(still_open)
    assert case is not None and kept is not None
    before = [await rows(world, t, case.id) for t in (OfferRow, CaseEventRow, RelayRow)]
    await purge_on(world, 89)  # not yet
    survived = await rows(world, CaseRow, case.id)
    await purge_on(world, 91)
    await purge_on(world, 92)  # the next day: nothing is counted twice
    async with world.core.database.transaction() as uow:
        figures = await uow.figures.cases()
        still = await uow.cases.by_alias(still_open)
    assert all(before) and survived == 1
    assert [await rows(world, t, case.id) for t in (CaseRow, OfferRow, CaseEventRow, RelayRow)] == [
        0,
        0,
        0,
        0,
    ]
    assert still is not None and still.status == "accepted"
    [row] = figures
    assert (row["week"], row["language"], row["outcome"], row["urgent"]) == (
        "2026-11-23",
        "nl",
        "no_contact",
        False,
    )
    assert (row["cases"], row["accepted"], row["contacted"], row["breaches"]) == (1, 1, 1, 0)
    assert row["accept_seconds_total"] == 0  # accepted in the same minute it was opened
    assert row["contact_seconds_total"] == row["contact_seconds_max"] == 2 * 3600


async def test_idle_conversations_and_old_audit_entries_go(world: World) -> None:
    await join(world, 611, Profile("vp", "Noor B", ("nl",), "f"))
    await a_case_accepted(world, 610, 611)  # the accept is in the audit log
    await world.say(612, Pick("lang:nl"))  # a parent who chose a language, then went quiet
    conversations, audit = await rows(world, ConversationRow), await rows(world, CaseAccessRow)
    await purge_on(world, 29)
    conversations_kept = await rows(world, ConversationRow)  # incl. 610's check-in (day 3)
    await purge_on(world, 34)  # 30 days after the last of them
    conversations_after = await rows(world, ConversationRow)
    await purge_on(world, 366)
    assert (conversations, conversations_kept, conversations_after) == (1, 2, 0)
    assert audit == 1 and await rows(world, CaseAccessRow) == 0
