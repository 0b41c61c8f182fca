"""How fast the outbox sends, against the local Bot API: with the rate limits, and without.

    python -m bench.outbox_rates

Prints achieved rates next to the configured limits (the ratio should be at or just under 1)
and the same sends without limits, measured side by side in one run.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime
from pathlib import Path

from telegram import Bot

from bot.services.clock import SystemClock
from bot.services.outbox import Outbox
from bot.services.privacy import IdentityVault
from bot.services.turn import Turn
from bot.supervision import Supervisor
from flows.outputs import Reply
from handlers.delivery import CHAT_BURST, CHAT_PERIOD_SECONDS, OutboxDispatcher
from storage import Database, UnitOfWork
from tests.botapi import FakeBotApi

KEY = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
TOKEN = "123456:BENCH"
OVERALL = 30.0


async def nobody_blocks(uow: UnitOfWork, recipient: str, now: datetime) -> None:
    """Nobody blocks the bot in this benchmark."""


async def measure(
    api: FakeBotApi, db: Database, chats: list[int], per_chat: int, limited: bool
) -> float:
    """Seconds from the first to the last message arriving."""
    outbox, clock = Outbox(IdentityVault(KEY), "telegram"), SystemClock()
    for chat in chats:
        async with db.transaction() as uow:
            turn = Turn(uow=uow, now=clock.now(), source="bench")
            turn.send(chat, [Reply(f"{n}") for n in range(per_chat)])
            await outbox.stage(uow, turn)
    users = [api.user(chat) for chat in chats]
    before = [len(u.received) for u in users]
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        dispatcher = OutboxDispatcher(
            bot,
            db,
            outbox,
            clock,
            unreachable=nobody_blocks,
            owner="bench",
            messages_per_second=OVERALL if limited else 100_000,
            per_chat=(CHAT_BURST, CHAT_PERIOD_SECONDS) if limited else (100_000, 1.0),
        )
        running = asyncio.create_task(dispatcher.run(Supervisor()))
        started = time.perf_counter()
        pairs = list(zip(users, before, strict=True))
        while any(len(u.received) - b < per_chat for u, b in pairs):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
        dispatcher.stop()
        await running
    return elapsed


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        await db.upgrade()
        async with FakeBotApi(record_requests=False) as api:
            one_chat = 20
            limited = await measure(api, db, [1], one_chat, limited=True)
            free = await measure(api, db, [2], one_chat, limited=False)
            # a burst of CHAT_BURST goes at once, then one per second
            chat_rate = (one_chat - CHAT_BURST) / limited
            print(
                f"one chat, {one_chat} messages: {chat_rate:.2f}/s with limits "
                f"(limit {CHAT_BURST / CHAT_PERIOD_SECONDS:.2f}/s after a burst of {CHAT_BURST}:"
                f" ratio {chat_rate / (CHAT_BURST / CHAT_PERIOD_SECONDS):.2f}); "
                f"{one_chat / free:.0f}/s without ({limited / free:.0f}x slower with)"
            )
            many = list(range(1000, 1300))
            limited = await measure(api, db, many, 1, limited=True)
            free = await measure(api, db, [c + 1000 for c in many], 1, limited=False)
            overall = len(many) / limited
            print(
                f"{len(many)} chats, 1 message each: {overall:.1f}/s with limits "
                f"(limit {OVERALL:.0f}/s: ratio {overall / OVERALL:.2f}); "
                f"{len(many) / free:.0f}/s without ({limited / free:.1f}x slower with)"
            )
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
