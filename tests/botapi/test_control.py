"""The /_test/ control API and the command line that uses it."""

import asyncio
import json
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from tests.botapi import FakeBotApi
from tests.botapi import __main__ as cli

from .conftest import TOKEN

REPO = Path(__file__).resolve().parents[2]


async def call(api: FakeBotApi, verb: str, path: str, body: Any = None) -> tuple[int, Any, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(verb, api.url + path, json=body) as response,
    ):
        return response.status, await response.json(), response.headers


@pytest.fixture
async def echo_bot(api: FakeBotApi) -> AsyncIterator[Application]:
    """A PTB bot that offers two languages and confirms the choice by editing its message."""

    async def offer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup.from_row(
            [
                InlineKeyboardButton("Nederlands", callback_data="nl"),
                InlineKeyboardButton("English", callback_data="en"),
            ]
        )
        await update.effective_message.reply_text(f"Je zei: {update.effective_message.text}")
        await update.effective_message.reply_text("Kies je taal", reply_markup=keyboard)

    async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(f"Taal: {update.callback_query.data}")

    app = Application.builder().token(TOKEN).base_url(api.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, offer))
    app.add_handler(CallbackQueryHandler(chosen))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        yield app
        await app.updater.stop()
        await app.stop()


async def test_send_then_read_the_replies(api: FakeBotApi, echo_bot: Application) -> None:
    status, sent, _ = await call(
        api, "POST", "/_test/users/42/send", {"text": "hallo", "language_code": "nl"}
    )
    assert status == 200 and sent["message"]["text"] == "hallo"
    assert api.user(42).user["language_code"] == "nl"
    await api.user(42).wait_for(count=2)
    status, messages, headers = await call(api, "GET", "/_test/chats/42/messages")
    assert [m["text"] for m in messages] == ["Je zei: hallo", "Kies je taal"]
    assert headers["X-Chat-Revision"] == "2"
    _, pressed, _ = await call(api, "POST", "/_test/users/42/press", {"text": "English"})
    assert pressed["pressed"]["data"] == "en" and pressed["revision"] == 2
    for _ in range(300):  # the edit arrives through the bot's own polling
        _, changed, _ = await call(api, "GET", "/_test/chats/42/messages?since=2")
        if changed:
            break
        await asyncio.sleep(0.01)
    assert [m["text"] for m in changed] == ["Taal: en"]


async def test_control_errors_are_explained(api: FakeBotApi) -> None:
    status, body, _ = await call(api, "POST", "/_test/users/42/press", {"text": "Nope"})
    assert status == 400 and "no button 'Nope'" in body["error"]
    status, body, _ = await call(api, "GET", "/_test/chats/777/messages")
    assert status == 404
    status, body, _ = await call(api, "POST", "/_test/faults", {"kind": "teapot"})
    assert status == 400 and "unknown fault kind" in body["error"]


async def test_faults_tokens_and_webhook_over_http(api: FakeBotApi) -> None:
    _, fault, _ = await call(
        api, "POST", "/_test/faults", {"method": "getMe", "kind": "502", "times": 1}
    )
    assert (fault["kind"], fault["times"], fault["fired"]) == ("502", 1, 0)
    status, _, _ = await call(api, "POST", f"/bot{TOKEN}/getMe")
    assert status == 502 and api.faults.faults[0].fired == 1
    await call(api, "POST", "/_test/tokens/reject", {"token": TOKEN})
    status, _, _ = await call(api, "POST", f"/bot{TOKEN}/getMe")
    assert status == 401
    _, webhook, _ = await call(api, "GET", "/_test/webhook")
    assert webhook == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 0,
        "deliveries": [],
    }


async def test_cli_say_and_press_print_replies_and_buttons(
    api: FakeBotApi,
    echo_bot: Application,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "QUIET_AFTER", 0.3)
    code = await asyncio.to_thread(cli.main, ["say", "--server", api.url, "--user", "42", "hoi"])
    assert code == 0
    assert capsys.readouterr().out == "Je zei: hoi\nKies je taal\n[1] Nederlands  [2] English\n"
    code = await asyncio.to_thread(cli.main, ["press", "--server", api.url, "--user", "42", "2"])
    assert code == 0
    assert capsys.readouterr().out == "Taal: en\n"


async def test_cli_says_when_nothing_comes_back(
    api: FakeBotApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "REPLY_TIMEOUT", 0.3)
    code = await asyncio.to_thread(cli.main, ["say", "--server", api.url, "--user", "42", "hoi"])
    assert code == 1 and "(no reply within 0.3 s)" in capsys.readouterr().out


def test_cli_serve_prints_how_to_connect() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.botapi", "serve", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Local Bot API on http://127.0.0.1:")
        base_url = line.split("TELEGRAM_API_URL=")[1].split()[0]
        assert base_url.endswith("/bot") and "any token like 123456:TEST" in line
        with urllib.request.urlopen(f"{base_url}123456:TEST/getMe", timeout=5) as response:
            assert json.loads(response.read())["result"]["username"] == "tussenin_test_bot"
    finally:
        process.terminate()
        process.wait(timeout=5)
