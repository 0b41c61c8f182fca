"""A VP's own commands: the name parents see, away and available, capacity, open cases —
and routing follows them."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.sharing import Sharing
from bot.services.vp_desk import VpDesk
from flows.inputs import Command, Text
from storage import Database
from storage.people import Profile
from tests.bot.services.test_cases import CATALOGS, DESK, VAULT, a_parent, opened, register

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
VP_DESK = VpDesk(CATALOGS, DESK, Sharing(VAULT, CATALOGS, DESK))


async def command(db: Database, person_id: int, name: str, argument: str | None = None) -> str:
    async with db.transaction() as uow:
        person = await uow.people.get(person_id)
        assert person is not None
        [reply] = await VP_DESK.handle(uow, person, Command(name, argument), NOW)
    return reply.text


async def test_display_name_capacity_and_help(database: Database) -> None:
    vp = await register(database, 1, Profile("vp", "Amina El Idrissi", ("ar",), "f"))
    assert "Noor" in await command(database, vp, "name", "Noor")
    assert "5" in await command(database, vp, "capacity", "5")
    refused = await command(database, vp, "capacity", "500")
    assert "/capacity 3" in refused
    async with database.transaction() as uow:
        person = await uow.people.get(vp)
        assert person is not None and person.display_name == "Noor" and person.capacity == 5
        [help_] = await VP_DESK.handle(uow, person, Text("hallo"), NOW)
    assert "/cases" in help_.text and "/away" in help_.text


async def test_away_takes_a_vp_out_of_routing(database: Database) -> None:
    vp = await register(database, 1, Profile("vp", "Amina", ("ar",), "f"))
    await command(database, vp, "away")
    parent = await a_parent(database)
    async with database.transaction() as uow:
        case, _ = await opened(uow, parent, "ar", {}, False, NOW)
        assert await uow.cases.offered_to(case.id) == set()
    await command(database, vp, "available")
    async with database.transaction() as uow:
        await DESK.offer_next(uow, case, NOW)
        assert await uow.cases.offered_to(case.id) == {vp}


async def test_open_cases_are_listed_by_alias_only(database: Database) -> None:
    vp = await register(database, 1, Profile("vp", "Amina", ("ar",), "f"))
    assert await command(database, vp, "cases") != ""
    parent = await a_parent(database)
    async with database.transaction() as uow:
        case, _ = await opened(
            uow, parent, "ar", {"topic": "school", "question": "geheim"}, False, NOW
        )
        [(offer, _, _)] = await uow.cases.offers_of(case.id)
        person = await uow.people.get(vp)
        assert person is not None
        await DESK.answer(uow, person, offer, "yes", NOW)
    listed = await command(database, vp, "cases")
    assert case.alias in listed and "school" in listed and "geheim" not in listed
