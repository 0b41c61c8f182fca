"""A parent's private chat: messages, commands and button presses."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.services.languages import from_telegram_code
from bot.services.reception import Subject
from bot.services.turn import current_turn
from flows.inputs import Command, Input, Media, Pick, Text
from handlers.services import services_of

CHANNEL = "telegram"


def to_input(message: Message) -> Input:
    text = message.text or ""
    if text.startswith("/"):
        # "/start@tussenin_bot payload" → start, with the payload as argument
        head, *rest = text[1:].split(maxsplit=1)
        return Command(head.split("@", 1)[0].lower(), rest[0].strip() if rest else None)
    if text:
        return Text(text)
    if message.voice is not None:
        return Media("voice", message.voice.file_id)  # saved only where a flow asks for voice
    # Contacts, locations and documents are never kept: a flow's "other" answers them.
    kinds = ("photo", "audio", "video", "document", "contact", "location", "venue", "sticker")
    return Media(next((kind for kind in kinds if getattr(message, kind, None)), "other"))


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A parent wrote something or used a command."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    await _answer(context, user.id, user.language_code, to_input(message))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A parent pressed a button of one of the bot's messages."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    current_turn().answer_callback(user.id, query.id)
    await _answer(context, user.id, user.language_code, Pick(query.data or ""))


async def _answer(
    context: ContextTypes.DEFAULT_TYPE, user_id: int, language_code: str | None, incoming: Input
) -> None:
    turn = current_turn()
    reception = services_of(context).reception
    hint = from_telegram_code(language_code, reception.languages)
    replies = await reception.handle(
        turn.uow, Subject(CHANNEL, user_id), incoming, turn.now, language_hint=hint
    )
    turn.send(user_id, replies)  # a private chat's id is the user's id
