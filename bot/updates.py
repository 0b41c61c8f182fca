"""Processing one Telegram update: one transaction, one subject at a time, sent after commit."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import Update
from telegram.ext import Application

from bot.services.clock import Clock
from bot.services.outbox import Outbox
from bot.services.turn import Turn, close_turn, open_turn
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
        outbox: Outbox,
        committed: Callable[[], None],
    ) -> None:
        self._application = application
        self._database = database
        self._clock = clock
        self._outbox = outbox
        self._committed = committed

    def subject_of(self, update: Update) -> str | None:
        """Updates of one person (or one group) are handled one at a time, in order."""
        if update.effective_user is not None:
            return self._outbox.recipient(update.effective_user.id)
        if update.effective_chat is not None:
            return self._outbox.recipient(update.effective_chat.id)
        return None

    async def process(self, update: Update) -> bool:
        """Handle `update` once: False when it had been committed before.

        Its effects, its outgoing messages and its update_id commit together.
        """
        async with self._database.transaction(lock=self.subject_of(update)) as uow:
            if await uow.updates.seen(update.update_id):
                log.info("update %s was already processed", update.update_id)
                return False
            turn = Turn(uow=uow, now=self._clock.now(), source=f"update:{update.update_id}")
            token = open_turn(turn)
            try:
                await self._application.process_update(update)
            finally:
                close_turn(token)
            if turn.error is not None:
                raise UpdateFailed(f"update {update.update_id} failed") from turn.error
            await self._outbox.stage(uow, turn)
            await uow.updates.record(update.update_id, turn.now)
        self._committed()
        return True
