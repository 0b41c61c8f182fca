"""Simulated users and groups: the updates they make must parse in PTB, replies must be seen."""

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden

from tests.botapi import FakeBotApi

CHOICES = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Nederlands", callback_data="lang:nl")],
        [InlineKeyboardButton("Website", url="https://example.org")],
    ]
)


async def updates(bot: Bot) -> tuple[Update, ...]:
    """Fetch and confirm everything pending, parsed by PTB."""
    got = await bot.get_updates(timeout=0)
    if got:
        await bot.get_updates(offset=got[-1].update_id + 1, timeout=0)
    return got


async def test_commands_get_a_bot_command_entity(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42, "Amina", language_code="ar")
    await user.send_text("/start")
    await user.send_text("/help@tussenin_test_bot now")
    await user.send_text("hello /start")
    start, help_, plain = (u.message for u in await updates(bot))
    assert start is not None and help_ is not None and plain is not None
    assert start.entities[0].type == "bot_command" and start.entities[0].length == 6
    assert help_.entities[0].length == len("/help@tussenin_test_bot")
    assert plain.entities == ()
    assert start.from_user is not None and start.from_user.language_code == "ar"
    assert start.chat.id == 42 and start.chat.type == "private"


async def test_media_messages_parse(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    await user.send_voice(duration=3)
    await user.send_photo(caption="kijk")
    await user.send_document(file_name="a.pdf")
    await user.send_contact(phone="+31612345678")
    await user.send_location(52.1, 5.1)
    await user.send_audio()
    voice, photo, document, contact, location, audio = (u.message for u in await updates(bot))
    assert voice is not None and voice.voice is not None
    assert photo is not None and len(photo.photo) == 2 and photo.caption == "kijk"
    assert document is not None and document.document is not None
    assert document.document.file_name == "a.pdf"
    assert contact is not None and contact.contact is not None
    assert contact.contact.phone_number == "+31612345678"
    assert location is not None and location.location is not None
    assert location.location.latitude == 52.1
    assert audio is not None and audio.audio is not None


async def test_user_files_can_be_copied_by_file_id(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    voice = await user.send_voice()
    again = await bot.send_voice(42, voice["voice"]["file_id"])
    assert again.voice is not None and again.voice.file_id == voice["voice"]["file_id"]


async def test_reply_and_edit(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    question = await bot.send_message(42, "Waarover gaat het?")
    answer = await user.reply_to(question.message_id, "School")
    await user.edit_text(answer["message_id"], "School en werk")
    reply, edit = await updates(bot)
    assert reply.message is not None and reply.message.reply_to_message is not None
    assert reply.message.reply_to_message.text == "Waarover gaat het?"
    assert reply.message.text == "School"  # the update keeps the text as it was sent
    assert edit.edited_message is not None and edit.edited_message.text == "School en werk"
    with pytest.raises(AssertionError, match="no text message"):
        await user.edit_text(question.message_id, "not mine")


async def test_replies_quote_one_level_only(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    asked = await user.send_text("Vraag")
    answered = await bot.send_message(42, "Antwoord", reply_to_message_id=asked["message_id"])
    await user.reply_to(answered.message_id, "Dank")
    (_, thanks) = await updates(bot)
    assert thanks.message is not None and thanks.message.reply_to_message is not None
    assert thanks.message.reply_to_message.text == "Antwoord"
    assert thanks.message.reply_to_message.reply_to_message is None


async def test_press_makes_a_callback_query_on_the_latest_message(
    api: FakeBotApi, bot: Bot
) -> None:
    user = api.user(42)
    await bot.send_message(42, "oud", reply_markup=CHOICES)
    newest = await bot.send_message(42, "nieuw", reply_markup=CHOICES)
    await user.press("Nederlands")
    await user.press("lang:nl")  # by callback_data too
    first, second = await updates(bot)
    query = first.callback_query
    assert query is not None and query.data == "lang:nl"
    assert query.message is not None and query.message.message_id == newest.message_id
    assert query.from_user.id == 42
    assert second.callback_query is not None and second.callback_query.id != query.id


async def test_press_explains_what_is_missing(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    await bot.send_message(42, "Kies", reply_markup=CHOICES)
    with pytest.raises(AssertionError, match=r"buttons seen: \['Nederlands', 'Website'\]"):
        await user.press("English")
    with pytest.raises(AssertionError, match="has no callback_data"):
        await user.press("Website")


async def test_press_on_a_reply_keyboard_sends_the_text(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    await bot.send_message(42, "Klopt dat?", reply_markup=ReplyKeyboardMarkup([["Ja", "Nee"]]))
    await user.press("Nee")
    (update,) = await updates(bot)
    assert update.message is not None and update.message.text == "Nee"


async def test_wait_for_counts_new_messages_since_the_last_wait(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)

    async def reply_later() -> None:
        await asyncio.sleep(0.05)
        for text in ("een", "twee", "drie"):
            await bot.send_message(42, text)

    task = asyncio.create_task(reply_later())
    first = await user.wait_for(count=2, timeout=2)
    await task
    await bot.send_message(42, "vier")
    rest = await user.wait_for(count=1)
    assert [m["text"] for m in first + rest] == ["een", "twee", "drie", "vier"]
    with pytest.raises(TimeoutError):
        await user.wait_for(timeout=0.1)  # nothing new since the last wait
    await bot.send_message(42, "vijf")
    await bot.send_message(42, "zes")
    matched = await user.wait_for(predicate=lambda m: m["text"] == "zes")
    assert [m["text"] for m in matched] == ["zes"]


async def test_wait_for_times_out_with_what_arrived(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    await bot.send_message(42, "alleen dit")
    with pytest.raises(TimeoutError, match=r"(?s)2 new bot message.*#1: alleen dit"):
        await user.wait_for(count=2, timeout=0.2)


async def test_raw_enqueue_keeps_or_assigns_update_ids(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    await user.send_text("one")
    assert api.enqueue({"update_id": 500, "message": api.pending_updates[0]["message"]}) == 500
    assert api.enqueue({"message": api.pending_updates[0]["message"]}) == 501
    assert [u.update_id for u in await updates(bot)] == [1, 500, 501]


async def test_group_membership_and_messages(api: FakeBotApi, bot: Bot) -> None:
    amina = api.user(42, "Amina")
    group = api.group(-1001, title="Family group")
    with pytest.raises(Forbidden, match="not a member of the supergroup chat"):
        await bot.send_message(-1001, "hoi")
    await group.add_bot(by=amina)
    await group.send_text(amina, "hi")
    joined, service, said = await updates(bot)
    member = joined.my_chat_member
    assert member is not None and member.new_chat_member.status == "member"
    assert member.new_chat_member.user.id == api.bot_user["id"]
    assert service.message is not None
    assert service.message.new_chat_members[0].id == api.bot_user["id"]
    assert said.message is not None and said.message.chat.title == "Family group"
    assert said.message.from_user is not None and said.message.from_user.id == 42
    await bot.send_message(-1001, "welkom")
    assert group.received[0]["text"] == "welkom"
    assert await bot.leave_chat(-1001) is True
    assert group.bot_left is True
    (left,) = await updates(bot)
    assert left.my_chat_member is not None and left.my_chat_member.new_chat_member.status == "left"


async def test_forum_topics(api: FakeBotApi, bot: Bot) -> None:
    amina = api.user(42)
    forum = api.group(-1002, title="VPs", is_forum=True)
    await forum.add_bot(by=amina)
    topic = await bot.create_forum_topic(-1002, "K7F2")
    assert topic.name == "K7F2" and topic.message_thread_id > 0
    sent = await bot.send_message(-1002, "nieuw", message_thread_id=topic.message_thread_id)
    assert sent.message_thread_id == topic.message_thread_id and sent.is_topic_message
    await forum.send_text(amina, "ik neem hem", message_thread_id=topic.message_thread_id)
    said = (await updates(bot))[-1].message
    assert said is not None and said.message_thread_id == topic.message_thread_id
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(-1002, "x", message_thread_id=9999)
    plain = api.group(-1003)
    await plain.add_bot(by=amina)
    with pytest.raises(BadRequest, match="The chat is not a forum"):
        await bot.create_forum_topic(-1003, "x")
