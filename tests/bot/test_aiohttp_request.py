"""PTB's calls over AiohttpRequest: JSON and uploads reach the Bot API, failures map to
PTB's own errors."""

from __future__ import annotations

import aiohttp
import pytest
from telegram import Bot, InputFile
from telegram.error import NetworkError

from bot.aiohttp_request import AiohttpRequest
from tests.botapi import FakeBotApi
from tests.live import TEST_TOKEN


async def test_messages_and_uploads_go_through_aiohttp() -> None:
    async with FakeBotApi() as api:
        parent = api.user(5001)
        async with Bot(TEST_TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
            await bot.send_message(parent.id, "hello ✓")
            await bot.send_voice(parent.id, InputFile(b"OggS voice", filename="v.ogg"))
        assert [m.get("text") for m in parent.received][:1] == ["hello ✓"]
        assert len(api.calls("sendVoice")) == 1


async def test_an_unreachable_api_is_a_network_error() -> None:
    request = AiohttpRequest(connect_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post("http://127.0.0.1:9/botX/getMe")
    finally:
        await request.shutdown()


async def test_an_error_that_quotes_the_url_does_not_carry_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request = AiohttpRequest()
    await request.initialize()
    url = f"http://127.0.0.1:9/bot{TEST_TOKEN}/getMe"

    def failing(method: str, where: str, **_: object) -> object:
        raise aiohttp.ClientError(f"redirected too often: {where}")

    try:
        assert request._session is not None
        monkeypatch.setattr(request._session, "request", failing)
        with pytest.raises(NetworkError) as raised:
            await request.do_request(url, "POST")
    finally:
        await request.shutdown()
    assert TEST_TOKEN not in str(raised.value) and "bot[token]/getMe" in str(raised.value)
