"""Our own getUpdates loop: the offset moves only past updates whose effects are committed.

PTB's Updater confirms updates as soon as they are queued, so a crash would lose them.
Updates of different people in one batch run concurrently; one person's run in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TimedOut

from bot.errors import StartupError
from bot.telegram import ALLOWED_UPDATES, TelegramBot

log = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 25
RETRY_DELAY_SECONDS = 1.0
MAX_ATTEMPTS_PER_UPDATE = 5


class Poller:
    def __init__(self, telegram: TelegramBot, poll_timeout: int = POLL_TIMEOUT_SECONDS) -> None:
        self._bot = telegram.application.bot
        self._processor = telegram.processor
        self._poll_timeout = poll_timeout
        self._failures: dict[int, int] = {}

    async def run(self) -> None:
        """Fetch and process updates until cancelled."""
        await self._bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        log.info("polling for updates")
        while True:
            try:
                updates = await self._bot.get_updates(
                    offset=offset, timeout=self._poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
            except Conflict:
                raise StartupError(
                    "Another instance is already polling this bot (409 Conflict from Telegram): "
                    "stop the other one, or set WEBHOOK_URL to run several instances."
                ) from None
            except InvalidToken:
                raise StartupError("Telegram refused TELEGRAM_TOKEN (401 Unauthorized).") from None
            except TimedOut:
                continue
            except NetworkError as error:
                log.warning("getUpdates failed (%s); retrying", type(error).__name__)
                await asyncio.sleep(RETRY_DELAY_SECONDS)
                continue
            offset = await self._process_batch(updates, offset)

    async def _process_batch(self, updates: tuple[Update, ...], offset: int | None) -> int | None:
        """Returns the offset past the committed prefix of the batch (ids need not increase)."""
        by_subject: dict[str | None, list[Update]] = defaultdict(list)
        for update in updates:
            by_subject[self._processor.subject_of(update)].append(update)
        done: set[int] = set()

        async def in_order(group: list[Update]) -> None:
            for update in group:
                if not await self._process(update):
                    return  # the rest of this person's updates wait for the next fetch
                done.add(update.update_id)

        await asyncio.gather(*(in_order(group) for group in by_subject.values()))
        for update in updates:
            if update.update_id not in done:
                break
            offset = max(offset or 0, update.update_id + 1)
        return offset

    async def _process(self, update: Update) -> bool:
        try:
            await self._processor.process(update)
        except Exception:
            attempts = self._failures.get(update.update_id, 0) + 1
            self._failures[update.update_id] = attempts
            log.exception("update %s failed (attempt %s)", update.update_id, attempts)
            if attempts < MAX_ATTEMPTS_PER_UPDATE:
                await asyncio.sleep(RETRY_DELAY_SECONDS)
                return False
            log.error("update %s skipped after %s attempts", update.update_id, attempts)
        self._failures.pop(update.update_id, None)
        return True
