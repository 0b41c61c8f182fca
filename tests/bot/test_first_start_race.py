"""Ten parents start at once on a fresh PostgreSQL database: the flow version they all start
on is stored once, and none of their updates fails (#11)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from storage import Database
from storage.tables import FlowVersionRow, SetAsideUpdate
from tests.botapi import FakeBotApi
from tests.live import live_bot, settings_for

PARENTS = 10


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def count(database_url: str, table: type) -> int:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            found = await connection.execute(select(func.count()).select_from(table))
            return int(found.scalar_one())
    finally:
        await database.dispose()


async def test_ten_parents_start_at_once_on_a_fresh_postgres(
    api: FakeBotApi, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    parents = [api.user(7100 + n, language_code="en") for n in range(PARENTS)]
    caplog.set_level(logging.INFO)
    async with live_bot(settings_for(api, postgres_url)):
        for parent in parents:  # enqueued without a pause between: one polling batch
            await parent.send_text("/start")
        for parent in parents:
            await parent.wait_for(1, timeout=30)  # the language picker
        assert await count(postgres_url, FlowVersionRow) == 0  # nobody has started a flow yet
        for parent in parents:
            await parent.press("lang:en")  # each starts the welcome flow: its first version
        for parent in parents:
            await parent.wait_for(3, timeout=30)
    failures = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert failures == []
    assert await count(postgres_url, SetAsideUpdate) == 0
    assert await count(postgres_url, FlowVersionRow) == 1
