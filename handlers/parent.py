"""Private chats (parents', and VPs' and coordinators' own): messages, edits, commands,
button presses, and being blocked."""

from __future__ import annotations

from telegram import ChatMember, Message, Update
from telegram.ext import ContextTypes

from bot.services.languages import from_telegram_code
from bot.services.reception import Subject
from bot.services.relay import FORMATTING, Said
from bot.services.turn import current_turn
from flows.inputs import Command, Input, Media, Text, read_button, read_command
from handlers.services import services_of

CHANNEL = "telegram"


def to_input(message: Message) -> Input:
    text = message.text or ""
    if text.startswith("/"):
        return read_command(text)  # "/start@tussenin_bot payload" → start, with its payload
    if text:
        return Text(text)
    if message.voice is not None:
        return Media("voice", message.voice.file_id)  # saved only where a flow asks for voice
    # Contacts, locations and documents are never kept: a flow's "other" answers them.
    kinds = ("photo", "audio", "video", "document", "contact", "location", "venue", "sticker")
    return Media(next((kind for kind in kinds if getattr(message, kind, None)), "other"))


def to_said(message: Message, edited: bool = False) -> Said:
    """The message as the relay passes it on: references to copy it, formatting only."""
    kinds = ("voice", "photo", "contact", "venue", "location", "document")
    kind = "text" if message.text else next((k for k in kinds if getattr(message, k)), "other")
    entities = message.entities if message.text else message.caption_entities
    return Said(
        kind=kind,
        chat_id=message.chat_id,
        message_id=message.message_id,
        text=message.text or message.caption or "",
        entities=tuple(
            (str(e.type), e.offset, e.length) for e in entities if str(e.type) in FORMATTING
        ),
        file_id=message.voice.file_id if message.voice else "",
        reply_to=message.reply_to_message.message_id if message.reply_to_message else None,
        edited=edited,
    )


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Someone wrote something or used a command."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    incoming = to_input(message)
    said = None if isinstance(incoming, Command) else to_said(message)
    await _answer(context, user.id, user.language_code, incoming, said)


async def on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Someone changed a message: if it was relayed, the change goes on, marked."""
    message, user = update.edited_message, update.effective_user
    assert message is not None and user is not None
    turn = current_turn()
    subject = Subject(CHANNEL, user.id)
    await services_of(context).reception.edited(turn.uow, subject, to_said(message, True), turn.now)


async def on_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Someone blocked the bot in their private chat."""
    membership, user = update.my_chat_member, update.effective_user
    assert membership is not None and user is not None
    private = membership.chat.type == membership.chat.PRIVATE
    if private and membership.new_chat_member.status == ChatMember.BANNED:
        turn = current_turn()
        await services_of(context).reception.left(turn.uow, Subject(CHANNEL, user.id), turn.now)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A parent pressed a button of one of the bot's messages."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    current_turn().answer_callback(user.id, query.id)
    await _answer(context, user.id, user.language_code, read_button(query.data))


async def _answer(
    context: ContextTypes.DEFAULT_TYPE,
    user_id: int,
    language_code: str | None,
    incoming: Input,
    said: Said | None = None,
) -> None:
    turn = current_turn()
    reception = services_of(context).reception
    hint = from_telegram_code(language_code, reception.languages)
    replies = await reception.handle(
        turn.uow, Subject(CHANNEL, user_id), incoming, turn.now, language_hint=hint, said=said
    )
    turn.send(user_id, replies)  # a private chat's id is the user's id
