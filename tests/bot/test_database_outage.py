"""A database outage under load heals by itself: 20 parents walk the flows on PostgreSQL, the
bot's connections are cut for 10 seconds, /readyz says 503 meanwhile, and afterwards every
reply arrives, none lost, without a restart (polling and webhook mode)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest

from tests.botapi import FakeBotApi
from tests.journeys import STEPS, ask_a_question
from tests.live import live_bot, migrated, settings_for
from tests.outage import TcpProxy

PARENTS = 20
REPLIES = 13  # a walk's bot messages: picker, welcome (3), topics, question (2), … passed on (2)
OUTAGE_SECONDS = 10.0
RECOVERY_SECONDS = 60.0  # every reply arrives within this after the database returns


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(record_requests=False) as server:
        yield server


def through(proxy: TcpProxy, url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))


async def readyz(http: aiohttp.ClientSession, port: int) -> tuple[int, dict[str, object]]:
    async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
        return response.status, await response.json()


async def until(check: Callable[[], object], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():  # type: ignore[misc]
        if loop.time() > deadline:
            raise AssertionError("not reached in time")
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_the_bot_heals_after_a_database_outage(
    api: FakeBotApi, postgres_url: str, mode: str, figures: Callable[[str], None]
) -> None:
    url = await migrated(postgres_url)
    proxy = TcpProxy(urlsplit(url).port or 5432)
    await proxy.start()
    settings = settings_for(api, through(proxy, url), webhook=mode == "webhook")
    parents = [api.user(9_100 + n, language_code="en") for n in range(PARENTS)]
    loop = asyncio.get_running_loop()
    try:
        async with live_bot(settings), aiohttp.ClientSession() as http:
            assert (await readyz(http, settings.port))[0] == 200
            walks = [
                asyncio.create_task(ask_a_question(p, timeout=OUTAGE_SECONDS + RECOVERY_SECONDS))
                for p in parents
            ]
            await until(lambda: _some_started(parents), 20)
            await proxy.cut()
            cut_at = loop.time()

            async def unready() -> bool:
                status, body = await readyz(http, settings.port)
                failing = body["failing"]
                assert isinstance(failing, dict)
                return status == 503 and body["database"] == "unreachable" and "tasks" in failing

            await until(unready, 5)
            before = sum(len(p.received) for p in parents)
            await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (loop.time() - cut_at)))
            await proxy.restore()
            restored_at = loop.time()
            done, pending = await asyncio.wait(walks, timeout=RECOVERY_SECONDS)
            last_reply = loop.time() - restored_at
            for walk in pending:
                walk.cancel()
            assert not pending, f"{len(pending)} of {PARENTS} parents still wait for a reply"
            for walk in done:
                assert len(walk.result()) == STEPS  # re-raises a walk's own failure

            async def ready() -> bool:
                return (await readyz(http, settings.port)) == (
                    200,
                    {"database": "ok", "failing": {}, "status": "ready"},
                )

            await until(ready, 10)
    finally:
        await proxy.close()
    received = [len(p.received) for p in parents]
    assert received == [REPLIES] * PARENTS  # each reply once: none lost, none sent twice
    figures(
        f"database outage ({mode}, {PARENTS} parents walking): cut {OUTAGE_SECONDS:.0f} s "
        f"after {before} of {REPLIES * PARENTS} replies; /readyz 503 while cut; all "
        f"{REPLIES * PARENTS} delivered {last_reply:.1f} s after the database returned, 0 lost, "
        "no restart"
    )


async def _some_started(parents: list) -> bool:  # type: ignore[type-arg]
    return sum(len(p.received) for p in parents) >= PARENTS * 2
