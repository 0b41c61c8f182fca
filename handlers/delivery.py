"""Sending a committed turn's messages to Telegram: the one place the bot sends from."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot.services.turn import Turn
from handlers.render import render_markup, render_text

log = logging.getLogger(__name__)


class TelegramDelivery:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def deliver(self, turn: Turn) -> None:
        """Answer button presses, send the replies in order, leave unwanted chats."""
        for callback_id in turn.acknowledged_callbacks:
            await self._quietly(self._bot.answer_callback_query(callback_id), "answerCallbackQuery")
        for envelope in turn.outbox:
            await self._quietly(
                self._bot.send_message(
                    envelope.chat_id,
                    render_text(envelope.reply),
                    reply_markup=render_markup(envelope.reply),
                ),
                "sendMessage",
            )
        for chat_id in turn.chats_to_leave:
            await self._quietly(self._bot.leave_chat(chat_id), "leaveChat")

    @staticmethod
    async def _quietly(call: object, method: str) -> None:
        try:
            await call  # type: ignore[misc]
        except Forbidden:
            log.info("%s refused: the recipient blocked the bot or left", method)
        except TelegramError as error:
            # Never the text or the chat: only what went wrong.
            log.warning("%s failed: %s", method, type(error).__name__)
