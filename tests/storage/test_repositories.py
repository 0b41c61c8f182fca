"""Repositories on SQLite and PostgreSQL: plain records, UTC timestamps, one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from storage import Database, Parent

NOW = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


async def test_parent_is_created_once_and_found_by_hash(database: Database) -> None:
    async with database.transaction() as uow:
        first = await uow.parents.get_or_create("telegram", "h" * 64, "sealed", NOW)
        again = await uow.parents.get_or_create("telegram", "h" * 64, "other", NOW)
    assert isinstance(first, Parent)
    assert again.id == first.id and again.sealed_chat == "sealed"
    async with database.transaction() as uow:
        found = await uow.parents.find("h" * 64)
        missing = await uow.parents.find("x" * 64)
    assert found == first and missing is None


async def test_language_is_remembered(database: Database) -> None:
    async with database.transaction() as uow:
        parent = await uow.parents.get_or_create("telegram", "a" * 64, None, NOW)
        await uow.parents.set_language(parent.id, "tr", NOW)
    async with database.transaction() as uow:
        found = await uow.parents.find("a" * 64)
    assert found is not None and found.language == "tr"


async def test_timestamps_come_back_in_utc(database: Database) -> None:
    amsterdam_summer = datetime(2026, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    async with database.transaction() as uow:
        await uow.parents.get_or_create("telegram", "t" * 64, None, amsterdam_summer)
    async with database.transaction() as uow:
        found = await uow.parents.find("t" * 64)
    assert found is not None
    assert found.created_at == amsterdam_summer
    assert found.created_at.tzinfo is not None and found.created_at.utcoffset() == timedelta(0)
    assert found.created_at.hour == 12


async def test_naive_timestamps_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with database.transaction() as uow:
            await uow.parents.get_or_create("telegram", "n" * 64, None, datetime(2026, 1, 1))


async def test_a_failed_block_rolls_everything_back(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as uow:
            await uow.parents.get_or_create("telegram", "r" * 64, None, NOW)
            await uow.updates.record(5, NOW)
            raise RuntimeError("handler failed")
    async with database.transaction() as uow:
        assert await uow.parents.find("r" * 64) is None
        assert not await uow.updates.seen(5)


async def test_update_ids_are_recorded_once(database: Database) -> None:
    async with database.transaction() as uow:
        await uow.updates.record(2**40, NOW)  # beyond 32 bits
        await uow.updates.record(7, NOW)
    async with database.transaction() as uow:
        assert await uow.updates.seen(2**40) and await uow.updates.seen(7)
        assert not await uow.updates.seen(8)
    with pytest.raises(IntegrityError):
        async with database.transaction() as uow:
            await uow.updates.record(7, NOW)


async def test_bot_facts_are_kept_and_overwritten(database: Database) -> None:
    async with database.transaction() as uow:
        assert await uow.bot_facts.get("telegram.username") is None
        await uow.bot_facts.put("telegram.username", "old_bot", NOW)
    async with database.transaction() as uow:
        await uow.bot_facts.put("telegram.username", "new_bot", NOW + timedelta(days=1))
    async with database.transaction() as uow:
        assert await uow.bot_facts.get("telegram.username") == "new_bot"
