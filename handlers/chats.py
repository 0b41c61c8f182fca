"""Chats that are not a parent's private chat, and errors."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.services.turn import current_turn

log = logging.getLogger(__name__)


async def leave_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot talks to one parent at a time, privately: it leaves groups and channels."""
    chat = update.effective_chat
    if chat is None or chat.type == chat.PRIVATE:
        return
    membership = update.my_chat_member
    if membership is not None and membership.new_chat_member.status in ("left", "kicked"):
        return  # already out
    log.info("leaving a %s chat", chat.type)
    current_turn().leave(chat.id)


async def record_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep the handler's error on the turn, so the processor rolls back and reports it."""
    current_turn().error = context.error
