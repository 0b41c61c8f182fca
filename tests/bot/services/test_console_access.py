"""Console sessions on a clock the test moves: idle expiry, absolute expiry, a link's ten
minutes, and the end of every session when its person is no longer a coordinator."""

from __future__ import annotations

from datetime import timedelta

from bot.services.console_access import ConsoleAccess
from bot.services.coordinator_settings import Console
from storage import Database
from storage.people import Profile
from tests.bot.services.test_cases import NOW, VAULT, register

TIMINGS = Console(link_valid="10m", idle_after="30m", session_max="12h")  # type: ignore[arg-type]
ACCESS = ConsoleAccess(VAULT, lambda: TIMINGS, "https://bot.example.org")


async def _session(db: Database, person_id: int, at=NOW) -> str:  # type: ignore[no-untyped-def]
    async with db.transaction() as uow:
        person = await uow.people.get(person_id)
        assert person is not None
        link = await ACCESS.link(uow, person, at)
        opened = await ACCESS.log_in(uow, link.split("code=")[1], "browser", at)
    assert opened is not None
    return opened[0]


async def _alive(db: Database, session_id: str, at) -> bool:  # type: ignore[no-untyped-def]
    async with db.transaction() as uow:
        return await ACCESS.actor(uow, session_id, at) is not None


async def test_a_session_ends_after_30_idle_minutes_and_after_12_hours(database: Database) -> None:
    sanne = await register(database, 1, Profile("coordinator", "Sanne de Vries"))
    idle = await _session(database, sanne)
    assert await _alive(database, idle, NOW + timedelta(minutes=29))
    assert not await _alive(database, idle, NOW + timedelta(minutes=29 + 31))
    assert not await _alive(database, idle, NOW + timedelta(minutes=61))  # ended stays ended
    busy = await _session(database, sanne)
    moment = NOW
    for _ in range(40):  # a page every 20 minutes: alive until the twelfth hour
        moment += timedelta(minutes=20)
        if moment - NOW > timedelta(hours=12):
            assert not await _alive(database, busy, moment)
            break
        assert await _alive(database, busy, moment), moment - NOW
    else:
        raise AssertionError("the session never ended")


async def test_a_link_works_once_within_ten_minutes(database: Database) -> None:
    sanne = await register(database, 1, Profile("coordinator", "Sanne de Vries"))
    async with database.transaction() as uow:
        person = await uow.people.get(sanne)
        assert person is not None
        late = (await ACCESS.link(uow, person, NOW)).split("code=")[1]
        timely = (await ACCESS.link(uow, person, NOW)).split("code=")[1]
        assert await ACCESS.log_in(uow, late, "b", NOW + timedelta(minutes=10, seconds=1)) is None
        assert await ACCESS.log_in(uow, timely, "b", NOW + timedelta(minutes=9)) is not None
        assert await ACCESS.log_in(uow, timely, "b", NOW + timedelta(minutes=9)) is None


async def test_only_active_coordinators_get_in(database: Database) -> None:
    sanne = await register(database, 1, Profile("coordinator", "Sanne de Vries"))
    amina = await register(database, 2, Profile("vp", "Amina E", ("ar",), "f"))
    session = await _session(database, sanne)
    async with database.transaction() as uow:
        vp = await uow.people.get(amina)
        assert vp is not None
        link = await ACCESS.link(uow, vp, NOW)  # made by hand: the bot never offers one
        assert await ACCESS.log_in(uow, link.split("code=")[1], "b", NOW) is None
        await uow.people.update(sanne, active=False)
    assert not await _alive(database, session, NOW + timedelta(minutes=1))
    async with database.transaction() as uow:
        await uow.people.update(sanne, active=True)
    # reactivated, the old session stays ended: a new link is needed
    assert not await _alive(database, session, NOW + timedelta(minutes=2))
