"""The scheduled task table on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import Database

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


async def test_idempotency_key_schedules_once(database: Database) -> None:
    async with database.transaction() as uow:
        first = await uow.tasks.schedule("k", NOW, NOW, idempotency_key="day:1")
        again = await uow.tasks.schedule("k", NOW, NOW, idempotency_key="day:1")
        other = await uow.tasks.schedule("k", NOW, NOW, idempotency_key="day:2")
    assert first == again != other


async def test_only_due_tasks_are_claimed_in_due_order(database: Database) -> None:
    async with database.transaction() as uow:
        late = await uow.tasks.schedule("k", NOW + timedelta(hours=1), NOW)
        soon = await uow.tasks.schedule("k", NOW - timedelta(minutes=1), NOW)
        sooner = await uow.tasks.schedule("k", NOW - timedelta(minutes=2), NOW)
    async with database.transaction() as uow:
        claimed = await uow.tasks.claim(NOW, "me", LEASE, 10)
    assert [t.id for t in claimed] == [sooner, soon]
    async with database.transaction() as uow:
        for task in claimed:
            await uow.tasks.finish(task.id, "me", NOW)
    async with database.transaction() as uow:
        [later] = await uow.tasks.claim(NOW + timedelta(hours=1), "me", LEASE, 10)
    assert later.id == late


async def test_a_dead_holders_task_is_claimed_after_its_lease(database: Database) -> None:
    async with database.transaction() as uow:
        task_id = await uow.tasks.schedule("k", NOW, NOW)
        await uow.tasks.claim(NOW, "dead", LEASE, 10)
    async with database.transaction() as uow:
        assert await uow.tasks.claim(NOW + LEASE - timedelta(seconds=1), "alive", LEASE, 10) == []
        [task] = await uow.tasks.claim(NOW + LEASE + timedelta(seconds=1), "alive", LEASE, 10)
    assert task.id == task_id and task.attempts == 2
    async with database.transaction() as uow:
        assert not await uow.tasks.hold(task_id, "dead")  # the late one may not finish it
        assert await uow.tasks.hold(task_id, "alive")
        await uow.tasks.finish(task_id, "alive", NOW)
    async with database.transaction() as uow:
        assert await uow.tasks.counts() == {"done": 1}


async def test_cancel_subject_and_purge(database: Database) -> None:
    async with database.transaction() as uow:
        await uow.tasks.schedule("k", NOW, NOW, subject="parent-a")
        await uow.tasks.schedule("k", NOW, NOW, subject="parent-a")
        await uow.tasks.schedule("k", NOW, NOW, subject="parent-b")
        assert await uow.tasks.cancel_subject("parent-a", NOW) == 2
        assert [t.subject for t in await uow.tasks.claim(NOW, "me", LEASE, 10)] == ["parent-b"]
        assert await uow.tasks.purge_finished(NOW + timedelta(days=1)) == 2


async def test_retry_and_fail(database: Database) -> None:
    async with database.transaction() as uow:
        task_id = await uow.tasks.schedule("k", NOW, NOW)
        await uow.tasks.claim(NOW, "me", LEASE, 10)
        await uow.tasks.retry(task_id, "me", NOW + timedelta(minutes=1), "Boom")
        assert await uow.tasks.claim(NOW, "me", LEASE, 10) == []
        [again] = await uow.tasks.claim(NOW + timedelta(minutes=1), "me", LEASE, 10)
        await uow.tasks.fail(again.id, "me", NOW, "Boom")
        assert await uow.tasks.counts() == {"failed": 1}
