"""Killed, restarted, redelivered: nothing lost, nothing done twice (SQLite and PostgreSQL).

The bot runs as `python -m bot run` and is killed with SIGKILL, as a crash would.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.botapi import FakeBotApi, FakeUser
from tests.live import (
    backend,
    cli_settings,
    effects_by_source,
    eventually,
    message_update,
    migrated,
    start_cli,
)

HELP, PICKER, UNKNOWN = "What you can do here", "Which language", "I don't know that command"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def stop(process: asyncio.subprocess.Process, *, kill: bool = False) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    await asyncio.wait_for(process.communicate(), 30)


def texts(user: FakeUser) -> list[str]:
    return [m["text"] for m in user.received]


def collapse(items: list[str]) -> tuple[list[str], int]:
    """Drop adjacent repeats (a message sent twice); returns the rest and how many dropped."""
    kept: list[str] = []
    for item in items:
        if not kept or kept[-1] != item:
            kept.append(item)
    return kept, len(items) - len(kept)


async def send(user: FakeUser, api: FakeBotApi, text: str) -> int:
    await user.send_text(text)
    return api.world.next_update_id - 1


async def test_killed_between_commit_and_send(
    api: FakeBotApi, database_url: str, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    url = await migrated(database_url)
    settings = cli_settings(api, url, SEND_LEASE_SECONDS="2")
    bot = await start_cli(tmp_path, "run", **settings)
    parent = api.user(4001, language_code="en")
    try:
        await send(parent, api, "/help")
        await parent.wait_for(1, timeout=30)
        slow = api.fail("sendMessage", "delay", seconds=3, times=1, chat_id=parent.id)
        update_id = await send(parent, api, "/language")
        await eventually(lambda: slow.fired == 1)  # committed, and the send is under way
    finally:
        await stop(bot, kill=True)
    bot = await start_cli(tmp_path, "run", **settings)
    try:
        await eventually(lambda: any(t.startswith(PICKER) for t in texts(parent)), 30)
        await asyncio.sleep(3)  # time for a duplicate to show up, if there is one
    finally:
        await stop(bot)
    shown, duplicated = collapse(texts(parent))
    assert [t[:14] for t in shown] == [HELP[:14], PICKER[:14]]
    assert duplicated <= 1
    assert (await effects_by_source(url))[f"update:{update_id}"] == 1
    figures(
        f"crash between commit and send ({backend(url)}): 2 of 2 messages delivered, "
        f"{duplicated} duplicated, 0 lost; the update's effects applied once"
    )


async def test_killed_mid_batch(
    api: FakeBotApi, database_url: str, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    url = await migrated(database_url)
    settings = cli_settings(api, url, SEND_LEASE_SECONDS="2")
    parents = [api.user(4100 + i, language_code="en") for i in range(8)]
    commands = ("/help", "/language", "/nosuch")
    slow = api.fail("sendMessage", "delay", seconds=0.3, times=None)
    bot = await start_cli(tmp_path, "run", **settings)
    update_ids: list[int] = []
    try:
        for command in commands:
            for parent in parents:
                update_ids.append(await send(parent, api, command))
        await eventually(lambda: sum(len(p.received) for p in parents) >= 8, 30)
    finally:
        await stop(bot, kill=True)
    delivered_before = sum(len(p.received) for p in parents)
    slow.times = slow.fired  # Telegram is fast again
    bot = await start_cli(tmp_path, "run", **settings)
    try:
        await eventually(lambda: all(len(collapse(texts(p))[0]) >= 3 for p in parents), 60)
        await asyncio.sleep(3)
    finally:
        await stop(bot)
    duplicates = 0
    for parent in parents:
        shown, dropped = collapse(texts(parent))
        assert [t[:14] for t in shown] == [HELP[:14], PICKER[:14], UNKNOWN[:14]]
        assert all(texts(parent).count(text) <= 2 for text in shown)  # at most twice
        duplicates += dropped
    effects = await effects_by_source(url)
    assert [effects.get(f"update:{u}") for u in update_ids] == [1] * len(update_ids)
    assert 8 < delivered_before + 1 <= 24 + 1  # the kill really came mid-batch
    figures(
        f"crash mid-batch ({backend(url)}): killed after {delivered_before} of 24 "
        f"replies; after restart 24 of 24 delivered, {duplicates} duplicated, 0 lost; "
        f"24 updates' effects applied once each"
    )


async def test_each_update_delivered_three_times_takes_effect_once(
    api: FakeBotApi, database_url: str, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    url = await migrated(database_url)
    settings = cli_settings(api, url, SEND_LEASE_SECONDS="2")
    parent = api.user(4201, language_code="en")
    bot = await start_cli(tmp_path, "run", **settings)
    try:
        message = await parent.send_text("/help")
        update_id = api.world.next_update_id - 1
        await parent.wait_for(1, timeout=30)
        api.enqueue({"update_id": update_id, "message": message})
        await send(parent, api, "/language")  # a later update of the same parent
        await parent.wait_for(1, timeout=30)
    finally:
        await stop(bot, kill=True)
    bot = await start_cli(tmp_path, "run", **settings)
    try:
        api.enqueue({"update_id": update_id, "message": message})  # third time, after restart
        await send(parent, api, "/nosuch")
        await eventually(lambda: any(t.startswith(UNKNOWN) for t in texts(parent)), 30)
    finally:
        await stop(bot)
    assert sum(t.startswith(HELP) for t in texts(parent)) == 1
    assert (await effects_by_source(url))[f"update:{update_id}"] == 1
    figures(f"update delivered 3 times incl. across a restart ({backend(url)}): effects 1")


async def test_two_instances_on_postgres_take_a_triple_delivery_once(
    api: FakeBotApi, postgres_url: str, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    import aiohttp

    from tests.live import WEBHOOK_SECRET, free_port

    url = await migrated(postgres_url)
    ports = [free_port(), free_port()]
    bots = []
    for n, port in enumerate(ports):
        folder = tmp_path / f"instance{n}"
        folder.mkdir()
        bots.append(
            await start_cli(
                folder,
                "run",
                **cli_settings(
                    api,
                    url,
                    WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
                    PORT=str(port),
                    WEBHOOK_SECRET=WEBHOOK_SECRET,
                    INSTANCE_COUNT="2",
                ),
            )
        )
    parent = api.user(4301, language_code="en")
    update = message_update(900_001, parent, "/help")
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    try:
        async with aiohttp.ClientSession() as http:
            for port, bot in zip(ports, bots, strict=True):
                await _until_ready(http, port, bot)

            async def post(port: int) -> int:
                hook = f"http://127.0.0.1:{port}/hook"
                async with http.post(hook, json=update, headers=headers) as response:
                    return response.status

            statuses = await asyncio.gather(post(ports[0]), post(ports[1]), post(ports[0]))
        assert statuses == [200, 200, 200]
        await parent.wait_for(1, timeout=30)
        await asyncio.sleep(2)
    finally:
        for bot in bots:
            await stop(bot)
    assert sum(t.startswith(HELP) for t in texts(parent)) == 1
    assert (await effects_by_source(url))["update:900001"] == 1
    figures("update delivered 3 times to 2 instances (PostgreSQL): effects 1, replies 1")


async def _until_ready(http: Any, port: int, process: asyncio.subprocess.Process) -> None:
    for _ in range(600):  # a busy CI machine can take a while to start two instances
        try:
            async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.returncode is not None:
            assert process.stderr is not None
            stderr = (await process.stderr.read()).decode()[-6000:]
            raise AssertionError(f"instance on port {port} exited: {stderr}")
        await asyncio.sleep(0.1)
    raise AssertionError(f"instance on port {port} never became ready")
