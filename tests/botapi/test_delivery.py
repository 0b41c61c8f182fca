"""Update delivery: getUpdates semantics, webhooks with retries, and a real PTB Application."""

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.botapi import FakeBotApi

from .conftest import TOKEN


def text_update(text: str, update_id: int | None = None) -> dict[str, Any]:
    update: dict[str, Any] = {
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 42, "type": "private", "first_name": "A"},
            "text": text,
        }
    }
    if update_id is not None:
        update["update_id"] = update_id
    return update


async def test_offset_confirms_earlier_updates(api: FakeBotApi, bot: Bot) -> None:
    for text in ("a", "b", "c"):
        api.enqueue(text_update(text))
    assert [u.update_id for u in await bot.get_updates()] == [1, 2, 3]
    assert [u.update_id for u in await bot.get_updates()] == [1, 2, 3]  # not confirmed yet
    assert [u.update_id for u in await bot.get_updates(offset=2, limit=1)] == [2]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [3]
    assert [u.update_id for u in await bot.get_updates()] == [3]  # -1 forgot all before it
    assert await bot.get_updates(offset=4) == ()
    assert api.pending_updates == []


async def test_long_poll_answers_as_soon_as_an_update_arrives(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await user.send_text("hallo")
    (update,) = await poll
    assert update.message is not None and update.message.text == "hallo"
    assert time.monotonic() - started < 1


async def test_long_poll_returns_empty_after_its_timeout(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()  # type: ignore[arg-type]
    assert 0.25 <= time.monotonic() - started < 2


async def test_a_newer_get_updates_terminates_the_older(api: FakeBotApi) -> None:
    # Two Bot objects, like two running instances: one Bot polls one request at a time.
    async with (
        Bot(TOKEN, base_url=api.base_url) as first,
        Bot(TOKEN, base_url=api.base_url) as second,
    ):
        older = asyncio.create_task(first.get_updates(timeout=5))
        await asyncio.sleep(0.1)
        newer = asyncio.create_task(second.get_updates(timeout=5))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await older
        api.enqueue(text_update("x"))
        assert len(await newer) == 1


async def test_get_updates_conflicts_with_an_active_webhook(api: FakeBotApi, bot: Bot) -> None:
    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_a_replayed_update_id_is_delivered_again(api: FakeBotApi, bot: Bot) -> None:
    first = api.enqueue(text_update("eerste"))
    api.enqueue(text_update("tweede"))
    await bot.get_updates(offset=(await bot.get_updates())[-1].update_id + 1)
    api.enqueue(text_update("derde"))
    assert api.enqueue(text_update("nog eens", update_id=first)) == first
    # The batch stops before an id going backwards, so the bot's next offset skips nothing.
    assert [u.update_id for u in await bot.get_updates(offset=3)] == [3]
    replay = await bot.get_updates(offset=4)
    assert [(u.update_id, u.message.text) for u in replay] == [(1, "nog eens")]  # type: ignore[union-attr]
    assert await bot.get_updates(offset=2) == ()


async def test_allowed_updates_filter_kinds(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    await bot.send_message(
        42,
        "x",
        reply_markup=InlineKeyboardMarkup.from_button(
            InlineKeyboardButton("ok", callback_data="ok")
        ),
    )
    await user.send_text("tekst")
    await user.press("ok")
    got = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query is not None for u in got] == [True]


async def test_delete_webhook_can_drop_pending_updates(api: FakeBotApi, bot: Bot) -> None:
    api.enqueue(text_update("oud"))
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


class Receiver:
    """A webhook endpoint that answers with planned statuses, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.got: list[tuple[str | None, dict[str, Any]]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver([403, 500])
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    hook.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    await web.SockSite(runner, sock).start()
    yield hook
    await runner.cleanup()


async def until(condition: Any, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_webhook_retries_until_2xx_in_order(
    api: FakeBotApi, bot: Bot, receiver: Receiver
) -> None:
    user = api.user(42)
    await user.send_text("een")
    await user.send_text("twee")
    assert await bot.set_webhook(receiver.url, secret_token="s3cret-_X")
    await until(lambda: len(receiver.got) == 4)
    assert [body["update_id"] for _, body in receiver.got] == [1, 1, 1, 2]
    assert {secret for secret, _ in receiver.got} == {"s3cret-_X"}
    assert receiver.got[-1][1]["message"]["text"] == "twee"
    assert api.webhook_deliveries == [(1, 403), (1, 500), (1, 200), (2, 200)]
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (receiver.url, 0)
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert info.last_error_date is not None


async def test_webhook_counts_pending_while_unreachable(api: FakeBotApi, bot: Bot) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    api.enqueue(text_update("x"))
    await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
    await until(lambda: len(api.webhook_deliveries) >= 2)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Connection refused"
    await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""


async def test_webhook_secret_must_be_plain(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Secret token contains unallowed characters"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="no spaces!")


async def test_ptb_application_polls_replies_and_answers_buttons(api: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup.from_row(
            [
                InlineKeyboardButton("Nederlands", callback_data="nl"),
                InlineKeyboardButton("English", callback_data="en"),
            ]
        )
        await update.effective_message.reply_text("Kies je taal", reply_markup=keyboard)

    async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"Taal: {query.data}")

    app = Application.builder().token(TOKEN).base_url(api.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(chosen))
    user = api.user(42, "Amina", language_code="nl")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await user.send_text("/start")
        (menu,) = await user.wait_for()
        assert menu["text"] == "Kies je taal"
        await user.press("English")
        await until(lambda: user.received[0]["text"] == "Taal: en")
        assert len(user.callback_answers) == 1
        await app.updater.stop()
        await app.stop()
    assert api.pending_updates == []  # the updater confirmed everything on its way out
