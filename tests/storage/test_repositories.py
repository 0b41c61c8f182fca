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


async def test_an_update_note_takes_its_subjects_lock_across_instances(
    postgres_url: str,
) -> None:
    """Two instances (two engines, so no shared asyncio lock): the second update of one
    subject waits in its first statement until the first update's transaction ends; another
    subject's update does not wait."""
    import asyncio

    first, second = Database(postgres_url), Database(postgres_url)
    await first.upgrade()
    holding, release = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def slow(update_id: int) -> None:
        async with first.transaction("subject-a", lock_in_first_statement=True) as uow:
            assert await uow.updates.note(update_id, NOW, lock=uow.advisory_key)
            holding.set()
            await release.wait()
            order.append("first committed")

    async def noted(database: Database, subject: str, update_id: int) -> None:
        async with database.transaction(subject, lock_in_first_statement=True) as uow:
            assert uow.advisory_key is not None
            assert await uow.updates.note(update_id, NOW, lock=uow.advisory_key)
            order.append(f"{subject} noted")

    try:
        task = asyncio.create_task(slow(1))
        await asyncio.wait_for(holding.wait(), 10)
        await asyncio.wait_for(noted(second, "subject-b", 2), 10)  # another subject: at once
        waiting = asyncio.create_task(noted(second, "subject-a", 3))
        await asyncio.sleep(0.5)
        assert not waiting.done(), "the same subject's update did not wait for the lock"
        release.set()
        await asyncio.wait_for(asyncio.gather(task, waiting), 10)
        assert order == ["subject-b noted", "first committed", "subject-a noted"]
    finally:
        release.set()
        await first.dispose()
        await second.dispose()


async def test_sqlite_writers_of_one_process_take_turns_and_never_wait_forever(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: this process's transactions queue for the one writer (instead of sleeping in
    SQLite's busy handler); all of them commit, one at a time. A transaction opened inside
    another gives up after the busy timeout, as SQLite's own wait would, instead of hanging."""
    import asyncio

    import storage.database

    database = Database(f"sqlite+aiosqlite:///{tmp_path}/turns.db")
    await database.upgrade()
    inside, most = 0, 0

    async def one(n: int) -> None:
        nonlocal inside, most
        async with database.transaction() as uow:
            inside += 1
            most = max(most, inside)
            await uow.parents.get_or_create("telegram", f"{n:064d}", None, NOW)
            await asyncio.sleep(0.001)
            inside -= 1

    try:
        await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(30))), 60)
        async with database.transaction() as uow:
            found = [await uow.parents.find(f"{n:064d}") for n in range(30)]
        assert most == 1 and all(found)
        monkeypatch.setattr(storage.database, "SQLITE_BUSY_TIMEOUT_MS", 200)
        with pytest.raises(TimeoutError):
            async with database.transaction(), database.transaction():
                pass
    finally:
        await database.dispose()
