"""The flood gate: every update passes here before any other handler (see bot/services/flood)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.services.languages import from_telegram_code
from bot.services.turn import current_turn
from handlers.parent import CHANNEL, to_said
from handlers.services import services_of


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Messages this update causes count as its sender's; beyond their limit it stops here,
    still committed (its update_id recorded), so it is not delivered again."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != chat.PRIVATE:
        return  # groups are left, and leaving is never held back
    flood = services_of(context).flood
    if flood is None:
        return  # no limit here
    turn = current_turn()
    sender = flood.key(CHANNEL, user.id)
    turn.uow.outbox.sender = sender
    message = update.message or update.edited_message
    if message is None and update.callback_query is None:
        return  # being blocked (my_chat_member) is always heard
    said = None  # what a parent would have relayed; commands and buttons never are
    if message is not None and not (message.text or "").startswith("/"):
        said = to_said(message, edited=update.edited_message is not None)
    hint = from_telegram_code(user.language_code, services_of(context).reception.languages)
    replies = await flood.screen(
        turn.uow, sender, said, turn.now, hint, message=message is not None
    )
    if replies is None:
        return
    turn.send(user.id, replies)
    raise ApplicationHandlerStop
