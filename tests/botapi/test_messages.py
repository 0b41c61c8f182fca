"""Message methods, checked through a real PTB Bot so every answer must parse."""

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MessageEntity,
    ReactionTypeEmoji,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden

from tests.botapi import FakeBotApi

LANGUAGES = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Nederlands", callback_data="nl")],
        [InlineKeyboardButton("English", callback_data="en")],
    ]
)


async def test_send_message_has_the_real_shape(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42, "Amina", username="amina_x", language_code="ar")
    message = await bot.send_message(
        42, "<b>Hi</b>", parse_mode=ParseMode.HTML, reply_markup=LANGUAGES, protect_content=True
    )
    assert message.from_user is not None and message.from_user.id == api.bot_user["id"]
    assert (message.chat.id, message.chat.type, message.chat.username) == (42, "private", "amina_x")
    assert message.text == "<b>Hi</b>"  # parse_mode is accepted, the text kept as sent
    assert message.has_protected_content is True
    assert message.reply_markup == LANGUAGES
    assert isinstance(user.received[0]["date"], int)
    assert user.received[0]["message_id"] == message.message_id


async def test_message_ids_are_per_chat_and_shared_by_both_directions(
    api: FakeBotApi, bot: Bot
) -> None:
    amina, bram = api.user(42), api.user(43)
    first = await amina.send_text("hallo")
    reply = await bot.send_message(42, "welkom")
    other = await bot.send_message(43, "hoi")
    assert (first["message_id"], reply.message_id, other.message_id) == (1, 2, 1)
    assert bram.received[0]["text"] == "hoi"


async def test_entities_and_too_long_text(api: FakeBotApi, bot: Bot) -> None:
    api.user(42)
    bold = MessageEntity(MessageEntity.BOLD, 0, 2)
    assert (await bot.send_message(42, "Hi there", entities=[bold])).entities == (bold,)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(42, "x" * 4097)
    with pytest.raises(BadRequest, match="Unsupported parse_mode"):
        await bot.send_message(42, "x", parse_mode="Shouting")


async def test_overlong_callback_data_is_refused(api: FakeBotApi, bot: Bot) -> None:
    api.user(42)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(42, "x", reply_markup=markup)


async def test_reply_keyboard_belongs_to_the_chat(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("Ja"), KeyboardButton("Nee")]])
    message = await bot.send_message(42, "Klopt dat?", reply_markup=keyboard)
    assert message.reply_markup is None  # Telegram only echoes inline keyboards
    assert user.keyboard is not None and user.keyboard["keyboard"][0][0]["text"] == "Ja"
    await bot.send_message(42, "Dank", reply_markup=ReplyKeyboardRemove())
    assert user.keyboard is None


async def test_reply_parameters_quote_the_whole_message(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    asked = await user.send_text("Waar is de school?")
    answer = await bot.send_message(
        42, "Hier", reply_parameters=ReplyParameters(asked["message_id"])
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "Waar is de school?"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(42, "x", reply_parameters=ReplyParameters(999))


async def test_edit_text_changes_the_received_message(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    sent = await bot.send_message(42, "Kies een taal", reply_markup=LANGUAGES)
    edited = await bot.edit_message_text("Taal: English", chat_id=42, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "Taal: English"
    assert edited.edit_date is not None and edited.reply_markup is None
    assert [m["text"] for m in user.received] == ["Taal: English"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Taal: English", chat_id=42, message_id=sent.message_id)


async def test_edit_reply_markup_and_caption(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    sent = await bot.send_message(42, "Kies", reply_markup=LANGUAGES)
    await bot.edit_message_reply_markup(42, sent.message_id, reply_markup=None)
    assert "reply_markup" not in user.received[0]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(42, sent.message_id, reply_markup=None)
    photo = await bot.send_photo(42, b"\x89PNG fake", caption="oud")
    edited = await bot.edit_message_caption(42, photo.message_id, caption="nieuw")
    assert not isinstance(edited, bool) and edited.caption == "nieuw"
    with pytest.raises(BadRequest, match="There is no caption"):
        await bot.edit_message_caption(42, sent.message_id, caption="x")


async def test_user_messages_cannot_be_edited_by_the_bot(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    mine = await user.send_text("van mij")
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("niet", chat_id=42, message_id=mine["message_id"])


async def test_copy_message_keeps_content_and_hides_the_sender(api: FakeBotApi, bot: Bot) -> None:
    parent, vp = api.user(42), api.user(50)
    voice = await parent.send_voice(duration=7)
    copied = await bot.copy_message(
        50, 42, voice["message_id"], caption="K7F2", protect_content=True, reply_markup=LANGUAGES
    )
    assert copied.message_id == 1
    received = vp.received[0]
    assert received["voice"] == voice["voice"] and received["voice"]["duration"] == 7
    assert received["caption"] == "K7F2" and received["has_protected_content"] is True
    assert received["from"]["id"] == api.bot_user["id"] and "forward_origin" not in received
    assert received["reply_markup"] == LANGUAGES.to_dict()
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(50, 42, 999)


async def test_forward_message_shows_its_origin(api: FakeBotApi, bot: Bot) -> None:
    parent = api.user(42, "Amina")
    api.user(50)
    said = await parent.send_text("hallo")
    forwarded = await bot.forward_message(50, 42, said["message_id"])
    assert forwarded.text == "hallo"
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.sender_user.first_name == "Amina"  # type: ignore[attr-defined]


async def test_delete_messages(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    ids = [(await bot.send_message(42, str(n))).message_id for n in range(3)]
    assert await bot.delete_message(42, ids[0]) is True
    assert await bot.delete_messages(42, [ids[1], 999]) is True
    assert [m["text"] for m in user.received] == ["2"]
    assert user.deleted_ids == ids[:2]
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(42, ids[0])


async def test_media_uploads_and_file_ids(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    voice = await bot.send_voice(42, b"OggS fake", duration=4)
    assert voice.voice is not None and voice.voice.mime_type == "audio/ogg"
    assert user.received[0]["voice"]["duration"] == 4  # PTB's duration type is changing
    again = await bot.send_voice(42, voice.voice.file_id)
    assert again.voice is not None and again.voice.file_unique_id == voice.voice.file_unique_id
    photo = await bot.send_photo(42, b"\x89PNG fake")
    assert len(photo.photo) == 2 and photo.photo[-1].width == 800
    assert (await bot.send_photo(42, photo.photo[-1].file_id)).photo[-1] == photo.photo[-1]
    audio = await bot.send_audio(42, b"ID3 fake", title="Lied", filename="lied.mp3")
    assert audio.audio is not None and audio.audio.title == "Lied"
    document = await bot.send_document(42, b"%PDF", filename="brief.pdf")
    assert document.document is not None and document.document.file_name == "brief.pdf"
    with pytest.raises(BadRequest, match="Can't use file of type voice as document"):
        await bot.send_document(42, voice.voice.file_id)
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_voice(42, "no-such-file")


async def test_chat_action_and_reaction(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    said = await user.send_text("dank je")
    assert await bot.send_chat_action(42, ChatAction.TYPING) is True
    assert await bot.set_message_reaction(42, said["message_id"], ReactionTypeEmoji("👍"))
    assert user.chat.actions == ["typing"]
    assert user.chat.reactions[said["message_id"]] == [{"type": "emoji", "emoji": "👍"}]


async def test_blocked_user_gives_403_until_unblocked(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    user.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(42, "hallo?")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(42, ChatAction.TYPING)
    user.unblock()
    assert (await bot.send_message(42, "hallo")).text == "hallo"
    kinds = [u["my_chat_member"]["new_chat_member"]["status"] for u in api.pending_updates]
    assert kinds == ["kicked", "member"]


async def test_answer_callback_query_once(api: FakeBotApi, bot: Bot) -> None:
    user = api.user(42)
    await bot.send_message(42, "Kies", reply_markup=LANGUAGES)
    query = await user.press("English")
    assert await bot.answer_callback_query(query["id"], text="OK") is True
    assert user.callback_answers == [{"callback_query_id": query["id"], "text": "OK"}]
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query["id"])
