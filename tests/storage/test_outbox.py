"""The outbox table on SQLite and PostgreSQL: order per recipient, leases, erased content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import Database

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


async def add(db: Database, recipient: str, n: int, source: str = "update:1") -> list[int]:
    async with db.transaction() as uow:
        return [
            await uow.outbox.add(
                recipient=recipient,
                sealed_chat="c",
                kind="reply",
                sealed_payload=f"p{i}",
                source=source,
                now=NOW,
            )
            for i in range(n)
        ]


async def test_only_the_oldest_message_of_each_recipient_is_claimed(database: Database) -> None:
    a = await add(database, "A", 3)
    b = await add(database, "B", 2)
    async with database.transaction() as uow:
        first = await uow.outbox.claim(NOW, "one", LEASE, 10)
        again = await uow.outbox.claim(NOW, "two", LEASE, 10)
    assert [m.id for m in first] == [a[0], b[0]] and again == []
    async with database.transaction() as uow:
        await uow.outbox.mark_sent(a[0], "one", NOW)
        following = await uow.outbox.claim(NOW, "two", LEASE, 10)
    assert [m.id for m in following] == [a[1]]  # B's head is still leased by "one"


async def test_sent_content_is_erased_and_only_the_lease_holder_finishes(
    database: Database,
) -> None:
    [message] = await add(database, "A", 1)
    async with database.transaction() as uow:
        [claimed] = await uow.outbox.claim(NOW, "one", LEASE, 10)
        await uow.outbox.mark_sent(message, "intruder", NOW)  # not the holder: no effect
    assert claimed.sealed_payload == "p0" and claimed.attempts == 1
    async with database.transaction() as uow:
        assert await uow.outbox.pending_count() == 1
        await uow.outbox.mark_sent(message, "one", NOW)
        assert await uow.outbox.pending_count() == 0
        assert await uow.outbox.purge_finished(NOW + timedelta(seconds=1)) == 1


async def test_expired_lease_is_claimed_again(database: Database) -> None:
    [message] = await add(database, "A", 1)
    async with database.transaction() as uow:
        await uow.outbox.claim(NOW, "crashed", LEASE, 10)
    async with database.transaction() as uow:
        assert await uow.outbox.claim(NOW + LEASE / 2, "next", LEASE, 10) == []
        [again] = await uow.outbox.claim(NOW + LEASE * 2, "next", LEASE, 10)
    assert again.id == message and again.attempts == 2


async def test_retry_waits_and_keeps_the_order(database: Database) -> None:
    first, second = await add(database, "A", 2)
    async with database.transaction() as uow:
        await uow.outbox.claim(NOW, "one", LEASE, 10)
        await uow.outbox.retry_at(first, "one", NOW + timedelta(seconds=5), "429")
    async with database.transaction() as uow:
        assert await uow.outbox.claim(NOW + timedelta(seconds=1), "one", LEASE, 10) == []
        [due] = await uow.outbox.claim(NOW + timedelta(seconds=5), "one", LEASE, 10)
    assert due.id == first and second > first


async def test_dropping_a_recipient_leaves_others(database: Database) -> None:
    await add(database, "A", 2)
    [b] = await add(database, "B", 1)
    async with database.transaction() as uow:
        assert await uow.outbox.drop_recipient("A", "blocked") == 2
        claimed = await uow.outbox.claim(NOW, "one", LEASE, 10)
    assert [m.id for m in claimed] == [b]


async def test_a_chats_run_is_claimed_in_order_up_to_its_burst(database: Database) -> None:
    a = await add(database, "A", 5)
    b = await add(database, "B", 2)
    async with database.transaction() as uow:
        first = await uow.outbox.claim(NOW, "one", LEASE, 10, per_chat=3)
        again = await uow.outbox.claim(NOW, "two", LEASE, 10, per_chat=3)
    assert [m.id for m in first] == sorted([*a[:3], *b]) and again == []
    async with database.transaction() as uow:
        await uow.outbox.mark_sent(a[0], "one", NOW)
        # A's run is still leased from a[1] on: nothing of A may go before it
        assert await uow.outbox.claim(NOW, "two", LEASE, 10, per_chat=3) == []


async def test_a_run_ends_at_a_message_waiting_for_its_retry(database: Database) -> None:
    a = await add(database, "A", 3)
    async with database.transaction() as uow:
        await uow.outbox.claim(NOW, "one", LEASE, 10, per_chat=3)
        await uow.outbox.mark_sent(a[0], "one", NOW)
        await uow.outbox.retry_at(a[1], "one", NOW + timedelta(seconds=5), "429")
        await uow.outbox.release([a[2]], "one")  # its chat stopped at the failure
    async with database.transaction() as uow:
        assert (
            await uow.outbox.claim(NOW + timedelta(seconds=1), "two", LEASE, 10, per_chat=3) == []
        )
        run = await uow.outbox.claim(NOW + timedelta(seconds=5), "two", LEASE, 10, per_chat=3)
    assert [m.id for m in run] == a[1:] and [m.attempts for m in run] == [2, 1]
