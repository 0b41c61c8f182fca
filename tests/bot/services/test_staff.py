"""Invitations: a link works once, before it expires, for the account that opens it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.privacy import IdentityVault
from bot.services.staff import Staff
from storage import Database
from storage.people import Profile
from tests.conftest import TEST_SECRET_KEY

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
VAULT = IdentityVault(TEST_SECRET_KEY)
AMINA = Profile("vp", "Amina El Idrissi", ("ar", "nl"), "f", ("school",), 2)


async def test_an_invite_registers_once(database: Database) -> None:
    staff = Staff(VAULT)
    async with database.transaction() as uow:
        code, expires = await staff.invite(uow, AMINA, NOW, timedelta(days=7))
    assert code.startswith("inv") and len(code) <= 64 and expires == NOW + timedelta(days=7)
    async with database.transaction() as uow:
        person = await staff.register(uow, code, "telegram", 555, NOW)
        again = await staff.register(uow, code, "telegram", 666, NOW)
    assert person is not None and again is None
    assert (person.role, person.display_name, person.languages, person.capacity) == (
        "vp",
        "Amina",
        ("ar", "nl"),
        2,
    )
    async with database.transaction() as uow:
        found = await uow.people.find(VAULT.subject_hash("telegram", 555))
    assert found == person


async def test_an_expired_or_unknown_invite_does_nothing(database: Database) -> None:
    staff = Staff(VAULT)
    async with database.transaction() as uow:
        code, _ = await staff.invite(uow, AMINA, NOW, timedelta(hours=1))
    async with database.transaction() as uow:
        assert await staff.register(uow, code, "telegram", 1, NOW + timedelta(hours=2)) is None
        assert await staff.register(uow, "invNOPE", "telegram", 1, NOW) is None


async def test_the_code_is_not_stored(database: Database) -> None:
    from sqlalchemy import select

    from storage.tables import InviteRow

    async with database.transaction() as uow:
        code, _ = await Staff(VAULT).invite(uow, AMINA, NOW, timedelta(days=1))
    async with database.engine.connect() as connection:
        rows = (await connection.execute(select(InviteRow.__table__))).all()  # type: ignore[attr-defined]
    assert rows and all(code not in str(tuple(row)) for row in rows)
