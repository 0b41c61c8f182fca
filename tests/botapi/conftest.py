"""Fixtures: a running local Bot API and a PTB Bot talking to it."""

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from tests.botapi import FakeBotApi

TOKEN = "123456:TEST-token_x"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(webhook_retry_delay=0.02) as server:
        yield server
    assert not server.server_errors, "the fake Bot API crashed; see the log"


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url) as telegram_bot:
        yield telegram_bot
