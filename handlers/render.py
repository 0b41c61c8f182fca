"""Rendering replies for Telegram."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import RLM, directed
from flows.outputs import Reply


def render_text(reply: Reply) -> str:
    return directed(reply.text, reply.rtl)


def render_markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.choices:
        return None
    # A label that starts with a digit, a Latin word or an emoji still reads right-to-left.
    mark = RLM if reply.rtl else ""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(mark + c.label, callback_data=c.action) for c in row]
            for row in reply.choices
        ]
    )
