"""Processing one Telegram update in one transaction, then delivering what it produced."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application

from bot.services.clock import Clock
from bot.services.turn import Turn, close_turn, open_turn
from handlers.delivery import TelegramDelivery
from storage import Database

log = logging.getLogger(__name__)


class UpdateFailed(Exception):
    """A handler failed; nothing of the update was committed, so it may be delivered again."""


class UpdateProcessor:
    def __init__(
        self,
        application: Application,
        database: Database,
        clock: Clock,
        delivery: TelegramDelivery,
    ) -> None:
        self._application = application
        self._database = database
        self._clock = clock
        self._delivery = delivery

    async def process(self, update: Update) -> bool:
        """Handle `update` once: False when it had been committed before."""
        async with self._database.transaction() as uow:
            if await uow.updates.seen(update.update_id):
                log.info("update %s was already processed", update.update_id)
                return False
            turn = Turn(uow=uow, now=self._clock.now())
            token = open_turn(turn)
            try:
                await self._application.process_update(update)
            finally:
                close_turn(token)
            if turn.error is not None:
                raise UpdateFailed(f"update {update.update_id} failed") from turn.error
            await uow.updates.record(update.update_id, turn.now)
        await self._delivery.deliver(turn)
        return True
