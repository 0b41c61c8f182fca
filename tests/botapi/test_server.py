"""The HTTP surface: routing, tokens, parameter encodings, error shapes, faults, profile methods."""

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from telegram import Bot, BotCommand, BotCommandScopeChat, MenuButtonCommands
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter

from tests.botapi import FakeBotApi

from .conftest import TOKEN


async def post(api: FakeBotApi, path: str, data: Any = None, body: Any = None) -> tuple[int, dict]:
    """A raw POST, to see the exact answer PTB would turn into an exception."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(api.url + path, data=data, json=body) as response,
    ):
        return response.status, await response.json()


async def test_get_me_is_the_tussen_in_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (7000001, True, "tussenin_test_bot")
    assert me.first_name == "Tussen In" and me.can_join_groups is True


async def test_port_zero_picks_a_free_port_and_base_url_ends_in_bot(api: FakeBotApi) -> None:
    assert api.port != 0
    assert api.base_url == f"http://127.0.0.1:{api.port}/bot"


async def test_unknown_method_is_a_json_404(api: FakeBotApi) -> None:
    status, body = await post(api, f"/bot{TOKEN}/sendTelepathy")
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_method_names_are_case_insensitive(api: FakeBotApi) -> None:
    status, body = await post(api, f"/bot{TOKEN}/GETME")
    assert status == 200 and body["result"]["id"] == 7000001
    assert api.requests[-1] == ("getMe", {})


async def test_malformed_token_is_401(api: FakeBotApi) -> None:
    status, body = await post(api, "/botnot-a-token/getMe")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_rejected_token_fails_ptb_initialize(api: FakeBotApi) -> None:
    api.reject_token(TOKEN)
    with pytest.raises(InvalidToken):
        async with Bot(TOKEN, base_url=api.base_url):
            pass
    other = "654321:OTHER"
    async with Bot(other, base_url=api.base_url) as bot:
        assert (await bot.get_me()).id == 7000001


async def test_urlencoded_form_decodes_nested_json_but_keeps_text_a_string(
    api: FakeBotApi,
) -> None:
    api.user(42)
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    form = {"chat_id": "42", "text": "123", "reply_markup": json.dumps(markup)}
    status, body = await post(api, f"/bot{TOKEN}/sendMessage", data=form)
    assert status == 200
    assert body["result"]["text"] == "123"
    assert body["result"]["reply_markup"] == markup
    assert api.calls("sendMessage")[-1] == {"chat_id": 42, "text": "123", "reply_markup": markup}


async def test_json_body_and_query_string_are_accepted(api: FakeBotApi) -> None:
    api.user(42)
    status, body = await post(
        api,
        f"/bot{TOKEN}/sendMessage",
        body={"chat_id": 42, "text": "[1]", "protect_content": True},
    )
    assert status == 200 and body["result"]["text"] == "[1]"
    assert body["result"]["has_protected_content"] is True
    async with aiohttp.ClientSession() as session:
        url = f"{api.base_url}{TOKEN}/sendMessage?chat_id=42&text=viaquery"
        async with session.get(url) as response:
            assert (await response.json())["result"]["text"] == "viaquery"


async def test_multipart_upload_becomes_a_document(api: FakeBotApi) -> None:
    api.user(42)
    form = aiohttp.FormData()
    form.add_field("chat_id", "42")
    form.add_field("caption", "the letter")
    form.add_field("document", b"%PDF-1.4", filename="a.pdf", content_type="application/pdf")
    status, body = await post(api, f"/bot{TOKEN}/sendDocument", data=form)
    assert status == 200
    document = body["result"]["document"]
    assert (document["file_name"], document["mime_type"]) == ("a.pdf", "application/pdf")
    assert document["file_size"] == 8 and body["result"]["caption"] == "the letter"


async def test_bad_integer_field_is_a_400(api: FakeBotApi) -> None:
    status, body = await post(
        api, f"/bot{TOKEN}/deleteMessage", data={"chat_id": "42", "message_id": "x"}
    )
    assert status == 400 and body["description"].startswith("Bad Request: ")


async def test_bad_requests_have_telegram_descriptions(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hi")
    api.user(42)
    status, body = await post(api, f"/bot{TOKEN}/sendMessage", data={"chat_id": "42"})
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("new", chat_id=42, message_id=77)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # retry_after type
async def test_429_fault_carries_retry_after_and_counts(api: FakeBotApi, bot: Bot) -> None:
    api.user(42)
    fault = api.fail("sendMessage", "429", retry_after=2, times=2)
    status, body = await post(api, f"/bot{TOKEN}/sendMessage", data={"chat_id": "42", "text": "a"})
    assert (status, body["parameters"]) == (429, {"retry_after": 2})
    assert body["description"] == "Too Many Requests: retry after 2"
    with pytest.raises(RetryAfter, match=r"Retry in (2|0:00:02)"):
        await bot.send_message(42, "hi")
    assert (await bot.send_message(42, "hi")).text == "hi"
    assert fault.fired == 2 and not fault.active


async def test_fault_filters_by_chat_and_method(api: FakeBotApi, bot: Bot) -> None:
    api.user(42)
    api.user(43)
    fault = api.fail("sendMessage", "403", chat_id=43, times=None)
    assert (await bot.send_message(42, "fine")).chat_id == 42
    await bot.get_me()
    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(43, "no")
    assert fault.fired == 2


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("502", 502), ("400", 400)])
async def test_error_faults_answer_with_their_status(
    api: FakeBotApi, kind: str, status: int
) -> None:
    api.fail("getMe", kind, description="Bad Request: custom" if kind == "400" else None)
    code, body = await post(api, f"/bot{TOKEN}/getMe")
    assert (code, body["ok"], body["error_code"]) == (status, False, status)
    if kind == "400":
        assert body["description"] == "Bad Request: custom"


async def test_drop_fault_closes_the_connection_before_acting(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    api.fail("sendMessage", "drop")
    with pytest.raises(NetworkError):
        await bot.send_message(42, "lost")
    assert user.received == []


async def test_drop_answer_fault_acts_but_loses_the_answer(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    api.fail("sendMessage", "drop_answer")
    with pytest.raises(NetworkError):
        await bot.send_message(42, "sent twice")
    await bot.send_message(42, "sent twice")
    assert [m["text"] for m in user.received] == ["sent twice", "sent twice"]


async def test_delay_fault_answers_slowly_then_normally(api: FakeBotApi, bot: Bot) -> None:
    api.user(42)
    api.fail("sendMessage", "delay", seconds=0.3)
    started = time.monotonic()
    message = await bot.send_message(42, "late")
    assert message.text == "late"
    assert time.monotonic() - started >= 0.3


async def test_unknown_fault_kind_is_refused(api: FakeBotApi) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        api.fail("getMe", "418")


async def test_commands_are_kept_per_scope_and_language(api: FakeBotApi, bot: Bot) -> None:
    api.user(42)
    await bot.set_my_commands([BotCommand("start", "Begin")])
    await bot.set_my_commands(
        [BotCommand("start", "Begin"), BotCommand("stop", "Pauze")], language_code="nl"
    )
    scope = BotCommandScopeChat(42)
    await bot.set_my_commands([BotCommand("cases", "Cases")], scope=scope)
    assert [c["command"] for c in api.commands()] == ["start"]
    assert [c["command"] for c in api.commands(language_code="nl")] == ["start", "stop"]
    assert api.commands(scope={"type": "chat", "chat_id": 42})[0]["command"] == "cases"
    assert [c.command for c in await bot.get_my_commands(language_code="nl")] == ["start", "stop"]
    await bot.delete_my_commands(language_code="nl")
    assert api.commands(language_code="nl") == []
    assert await bot.get_my_commands(scope=scope) == (BotCommand("cases", "Cases"),)


async def test_invalid_command_name_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start-Now", "no")])


async def test_menu_button_and_get_chat(api: FakeBotApi, bot: Bot) -> None:
    api.user(42, "Amina", username="amina_x")
    await bot.set_chat_menu_button(chat_id=42, menu_button=MenuButtonCommands())
    assert api.world.menu_buttons[42] == {"type": "commands"}
    assert isinstance(await bot.get_chat_menu_button(42), MenuButtonCommands)
    chat = await bot.get_chat(42)
    assert (chat.id, chat.type, chat.first_name, chat.username) == (
        42,
        "private",
        "Amina",
        "amina_x",
    )


async def test_log_out_and_close_answer_true(bot: Bot) -> None:
    assert await bot.log_out() is True
    assert await bot.close() is True


async def test_stop_ends_a_pending_long_poll_at_once() -> None:
    api = FakeBotApi()
    await api.start()
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await api.stop()
        assert await poll == ()
        assert time.monotonic() - started < 2
