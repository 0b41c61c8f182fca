"""The running bot's own rhythm: webhook failures are redelivered, the heartbeat runs tasks,
and the coordinator's settings file is picked up while it runs."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.services.maintenance import PURGE
from bot.settings import DEFAULT_FLOWS_DIR
from tests.botapi import FakeBotApi
from tests.live import WEBHOOK_SECRET, eventually, live_bot, migrated, settings_for


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def test_a_failing_update_gets_5xx_and_nothing_is_committed(
    api: FakeBotApi, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(api, await migrated(database_url), webhook=True)
    parent = api.user(6001, language_code="en")
    update = {
        "update_id": 610_001,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "text": "/help",
            "chat": {"id": parent.id, "type": "private"},
            "from": parent.user,
        },
    }
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    async with live_bot(settings) as telegram, aiohttp.ClientSession() as http:
        reception = telegram.core.reception

        async def broken(*args: object, **kwargs: object) -> list[object]:
            raise RuntimeError("database hiccup")

        monkeypatch.setattr(reception, "handle", broken)
        async with http.post(settings.webhook_url or "", json=update, headers=headers) as r:
            assert r.status == 500
        async with telegram.core.database.transaction() as uow:
            assert not await uow.updates.seen(610_001)
        monkeypatch.undo()
        await asyncio.sleep(0.1)  # its retry is due after update_retry_seconds
        async with http.post(settings.webhook_url or "", json=update, headers=headers) as r:
            assert r.status == 200  # Telegram's redelivery now succeeds
        [reply] = await parent.wait_for(1)
    assert reply["text"].startswith("What you can do here")


async def test_heartbeat_runs_the_daily_purge_once(api: FakeBotApi, database_url: str) -> None:
    settings = settings_for(api, await migrated(database_url))
    async with live_bot(settings) as telegram:
        database, now = telegram.core.database, telegram.core.clock.now()
        async with database.transaction() as uow:
            await uow.updates.record(1, now - timedelta(days=30))  # older than retention
            await uow.updates.record(2, now)

        async def purged() -> bool:
            async with database.transaction() as uow:
                return (await uow.tasks.counts()).get("done", 0) >= 1

        for _ in range(100):
            if await purged():
                break
            await telegram.heartbeat.daily()  # every instance calls it; it runs once a day
            await asyncio.sleep(0.1)
        async with database.transaction() as uow:
            counts = await uow.tasks.counts()
            assert not await uow.updates.seen(1) and await uow.updates.seen(2)
    assert counts == {"done": 1}, f"{PURGE} should have run exactly once: {counts}"


async def test_an_edited_settings_file_is_used_without_a_restart(
    api: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    shutil.copytree(DEFAULT_FLOWS_DIR, tmp_path, dirs_exist_ok=True)
    settings = settings_for(api, await migrated(database_url), flows_dir=tmp_path)
    parent = api.user(6101, language_code="nl")
    path = tmp_path / "settings.yaml"
    async with live_bot(settings) as telegram:
        original = path.read_text(encoding="utf-8")
        path.write_text(
            original.replace("[nl, en, ar, tr, pl, uk, so, ti, rif]", "[nl, ar]"), encoding="utf-8"
        )
        await eventually(lambda: telegram.core.coordinator.current.languages == ["nl", "ar"])
        await parent.send_text("/language")
        [picker] = await parent.wait_for(1)
        path.write_text(
            original.replace("[nl, en, ar, tr, pl, uk, so, ti, rif]", "[nl, xx]"), encoding="utf-8"
        )
        await eventually(lambda: bool(telegram.core.coordinator.problems))
        await parent.send_text("/language")  # a broken edit: the last good settings serve
        [again] = await parent.wait_for(1)
    buttons = [b["text"] for row in picker["reply_markup"]["inline_keyboard"] for b in row]
    kept = [b["text"] for row in again["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["✓ Nederlands", "العربية"] and kept == buttons


async def test_an_edited_flow_goes_live_and_a_broken_one_is_refused(
    api: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    shutil.copytree(DEFAULT_FLOWS_DIR, tmp_path, dirs_exist_ok=True)
    settings = settings_for(api, await migrated(database_url), flows_dir=tmp_path)
    parent = api.user(6201, language_code="nl")
    info = tmp_path / "information.yaml"
    original = info.read_text(encoding="utf-8")
    async with live_bot(settings) as telegram:
        first = telegram.core.flows.current.version
        edited = original.replace("Waarover wil je meer weten?", "Wat wil je weten?")
        info.write_text(edited, encoding="utf-8")
        await eventually(lambda: telegram.core.flows.current.version != first)
        assert telegram.core.flows.current.flows["information"].nodes["menu"].say == (
            "Wat wil je weten?",
        )
        second = telegram.core.flows.current.version
        info.write_text(original.replace("goto: cjg", "goto: nowhere"), encoding="utf-8")
        await eventually(lambda: bool(telegram.core.published_flows.problems))
        assert "goes to a node that does not exist: 'nowhere'" in str(
            telegram.core.published_flows.problems[0]
        )
        assert telegram.core.flows.current.version == second  # the last good one serves
        await parent.send_text("/start")
        await parent.wait_for(1)
