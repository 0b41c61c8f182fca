"""Sending the outbox over the local Bot API: order per chat, 429/5xx retries, 403 stops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from telegram import Bot

from bot.services.clock import ManualClock
from bot.services.outbox import Outbox, Parcel
from bot.services.privacy import IdentityVault
from bot.services.turn import Turn
from flows.outputs import Reply
from handlers.delivery import Backoff, OutboxDispatcher
from storage import Database
from tests.bot.services.test_cases import LEAVING
from tests.botapi import FakeBotApi
from tests.conftest import TEST_SECRET_KEY
from tests.live import TEST_TOKEN

VAULT = IdentityVault(TEST_SECRET_KEY)
OUTBOX = Outbox(VAULT, "telegram")


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(TEST_TOKEN, base_url=api.base_url) as telegram_bot:
        yield telegram_bot


async def stage(db: Database, clock: ManualClock, chat_id: int, texts: list[str]) -> None:
    async with db.transaction() as uow:
        turn = Turn(uow=uow, now=clock.now(), source="update:1")
        turn.send(chat_id, [Reply(text) for text in texts])
        await OUTBOX.stage(uow, turn)


async def drain(dispatcher: OutboxDispatcher, clock: ManualClock, rounds: int = 60) -> None:
    """Send until nothing is due, moving the clock a second at a time (retry_after is 1 s)."""
    for _ in range(rounds):
        await dispatcher.drain_once()
        clock.advance(timedelta(seconds=1))


def dispatcher_for(
    bot: Bot, db: Database, clock: ManualClock, per_chat: tuple[int, float] = (1000, 1.0)
) -> OutboxDispatcher:
    # Rate limits are real-time leaky buckets; the benchmarks measure them, not these tests.
    return OutboxDispatcher(
        bot,
        db,
        OUTBOX,
        clock,
        unreachable=LEAVING.unreachable,
        owner="test",
        messages_per_second=1000,
        per_chat=per_chat,
    )


async def test_429_bursts_and_500s_still_deliver_everything_in_order(
    api: FakeBotApi, bot: Bot, database: Database, figures: Callable[[str], None]
) -> None:
    clock = ManualClock()
    parents = [api.user(3000 + i) for i in range(4)]
    expected = {p.id: [f"message {n} to {p.id}" for n in range(8)] for p in parents}
    for parent in parents:
        await stage(database, clock, parent.id, expected[parent.id])
    faults = [
        api.fail("sendMessage", "429", retry_after=1, times=6),
        api.fail("sendMessage", "500", times=4),
        api.fail("sendMessage", "502", times=3),
        api.fail("sendMessage", "429", retry_after=2, times=3, chat_id=parents[0].id),
    ]
    await drain(dispatcher_for(bot, database, clock), clock)
    delivered = {p.id: [m["text"] for m in p.received] for p in parents}
    assert delivered == expected
    async with database.transaction() as uow:
        assert await uow.outbox.pending_count() == 0
    figures(
        f"outbox ({database.dialect}): {sum(f.fired for f in faults)} injected 429/500/502 → "
        f"32 of 32 messages delivered in order per chat, 0 duplicated, 0 lost"
    )


async def test_a_blocked_parent_is_not_retried_and_everything_for_them_stops(
    api: FakeBotApi, bot: Bot, database: Database
) -> None:
    clock = ManualClock()
    blocked, other = api.user(3101), api.user(3102)
    subject = OUTBOX.recipient(blocked.id)  # a parent's subject hash is their chat's
    async with database.transaction() as uow:
        await uow.parents.get_or_create("telegram", subject, VAULT.seal(blocked.id), clock.now())
        await uow.tasks.schedule(
            "follow-up", clock.now() + timedelta(days=3), clock.now(), subject=subject
        )
    await stage(database, clock, blocked.id, ["one", "two", "three"])
    await stage(database, clock, other.id, ["hello"])
    blocked.block()
    await drain(dispatcher_for(bot, database, clock), clock, rounds=5)
    sends_to_blocked = [
        p for m, p in api.requests if m == "sendMessage" and p["chat_id"] == blocked.id
    ]
    assert len(sends_to_blocked) == 1  # the 403 is never retried
    assert [m["text"] for m in other.received] == ["hello"]
    async with database.transaction() as uow:
        parent = await uow.parents.find(subject)
        assert parent is not None and parent.stopped_at is not None
        assert await uow.tasks.counts() == {"cancelled": 1}
        assert await uow.outbox.pending_count() == 0


async def test_a_bad_request_is_not_retried(api: FakeBotApi, bot: Bot, database: Database) -> None:
    clock = ManualClock()
    parent = api.user(3201)
    await stage(database, clock, parent.id, ["refused", "next"])
    api.fail("sendMessage", "400", description="Bad Request: can't parse entities")
    await drain(dispatcher_for(bot, database, clock), clock, rounds=3)
    assert [m["text"] for m in parent.received] == ["next"]


async def test_a_lost_answer_is_sent_again_at_most_once_more(
    api: FakeBotApi, bot: Bot, database: Database
) -> None:
    """Telegram took the message but the answer never came: sent twice, never zero times."""
    clock = ManualClock()
    parent = api.user(3301)
    await stage(database, clock, parent.id, ["only once, ideally"])
    api.fail("sendMessage", "drop_answer", times=1)
    await drain(dispatcher_for(bot, database, clock), clock, rounds=5)
    assert [m["text"] for m in parent.received] == ["only once, ideally"] * 2


async def test_a_steps_messages_go_out_in_one_round_in_order(
    api: FakeBotApi, bot: Bot, database: Database, figures: Callable[[str], None]
) -> None:
    clock = ManualClock()
    parents = [api.user(3400 + i) for i in range(3)]
    step = [f"part {n}" for n in range(6)]
    for parent in parents:
        await stage(database, clock, parent.id, step)
    dispatcher = dispatcher_for(bot, database, clock, per_chat=(6, 6.0))
    assert await dispatcher.drain_once() == 18  # one round: every chat's whole step
    assert all([m["text"] for m in p.received] == step for p in parents)
    assert await dispatcher.drain_once() == 0
    figures(f"outbox ({database.dialect}): a 6-message step to 3 chats → 1 dispatcher round")


async def test_a_failure_in_a_run_stops_that_chat_and_nothing_overtakes_it(
    api: FakeBotApi, bot: Bot, database: Database
) -> None:
    clock = ManualClock()
    stuck, other = api.user(3501), api.user(3502)
    await stage(database, clock, stuck.id, ["one", "two", "three", "four"])
    await stage(database, clock, other.id, ["a", "b", "c", "d"])
    dispatcher = dispatcher_for(bot, database, clock)
    send, refused = dispatcher._send, list[str]()

    async def two_meets_a_429_once(parcel: Parcel) -> int | None:
        if parcel.reply is not None and parcel.reply.text == "two" and not refused:
            refused.append("two")
            raise Backoff(timedelta(seconds=5), "429 Too Many Requests")
        return await send(parcel)

    dispatcher._send = two_meets_a_429_once  # type: ignore[method-assign]
    await dispatcher.drain_once()
    assert [m["text"] for m in stuck.received] == ["one"]  # "two" waits; three, four with it
    assert [m["text"] for m in other.received] == ["a", "b", "c", "d"]
    await dispatcher.drain_once()
    assert [m["text"] for m in stuck.received] == ["one"]  # still in its retry_after
    clock.advance(timedelta(seconds=5))
    await dispatcher.drain_once()
    assert [m["text"] for m in stuck.received] == ["one", "two", "three", "four"]


async def test_a_chat_past_its_burst_gets_the_rest_in_a_later_round(
    api: FakeBotApi, bot: Bot, database: Database
) -> None:
    clock = ManualClock()
    parent = api.user(3601)
    await stage(database, clock, parent.id, [f"part {n}" for n in range(5)])
    real_limit_ten_times_as_fast = (3, 0.3)
    dispatcher = dispatcher_for(bot, database, clock, per_chat=real_limit_ten_times_as_fast)
    assert await dispatcher.drain_once() == 3
    assert [m["text"] for m in parent.received] == ["part 0", "part 1", "part 2"]
    await asyncio.sleep(0.25)
    await drain(dispatcher, clock, rounds=3)
    assert [m["text"] for m in parent.received] == [f"part {n}" for n in range(5)]
