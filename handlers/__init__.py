"""Telegram handlers: turn an update into an input, call one service, render the replies."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    TypeHandler,
)
from telegram.ext import filters as f

from handlers import chats, flood, parent

FLOOD_GATE = -10  # a group of its own: in one group only the first matching handler runs


def register(application: Application) -> None:
    """Attach every handler; order matters: non-private chats are left before anything else.

    Every update passes the flood gate first, in a group before all others; beyond its
    sender's limit it stops there."""
    application.add_handler(TypeHandler(Update, flood.gate), group=FLOOD_GATE)
    application.add_handler(MessageHandler(~f.ChatType.PRIVATE, chats.leave_group))
    application.add_handler(ChatMemberHandler(chats.leave_group, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(
        ChatMemberHandler(parent.on_membership, ChatMemberHandler.MY_CHAT_MEMBER), group=1
    )
    application.add_handler(
        MessageHandler(f.ChatType.PRIVATE & f.UpdateType.MESSAGE, parent.on_message)
    )
    application.add_handler(
        MessageHandler(f.ChatType.PRIVATE & f.UpdateType.EDITED_MESSAGE, parent.on_edit)
    )
    application.add_handler(CallbackQueryHandler(parent.on_button))
    application.add_error_handler(chats.record_error)
