"""Our own getUpdates loop: the offset moves only past updates that are committed or set aside.

PTB's Updater confirms updates as soon as they are queued, so a crash would lose them, and
PTB parses a whole batch at once, so one unreadable update would stop every other one. Here
the raw JSON is fetched and each update is read on its own. Updates of different people in
one batch run concurrently; one person's run in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.errors import StartupError
from bot.services.polling_lease import PollingLease
from bot.telegram import ALLOWED_UPDATES, TelegramBot
from bot.updates import NotAnUpdate, Outcome, subject_key, update_id_of

log = logging.getLogger(__name__)

POLLING_LOOP = "polling"
POLL_TIMEOUT_SECONDS = 25
READ_SLACK_SECONDS = 10  # beyond the long-poll wait, before the fetch counts as lost


class TelegramTrouble(Exception):
    """getUpdates failed in a way that passes (network, 5xx, 429): the loop backs off."""


class UpdateFeed:
    """getUpdates over plain HTTP, returning the raw JSON of each update."""

    def __init__(self, api_url: str, token: str, poll_timeout: int) -> None:
        self._url = f"{api_url}{token}/getUpdates"
        self._poll_timeout = poll_timeout
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self, offset: int | None) -> list[Any]:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=self._poll_timeout + READ_SLACK_SECONDS)
            self._session = aiohttp.ClientSession(timeout=timeout)
        body: dict[str, Any] = {"timeout": self._poll_timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            body["offset"] = offset
        try:
            async with self._session.post(self._url, json=body) as response:
                status = response.status
                answer = await response.json(content_type=None) if status < 500 else None
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise TelegramTrouble(f"getUpdates: {type(error).__name__}") from None
        if status == 409:
            raise StartupError(
                "Another process is polling this bot now (409 Conflict from Telegram), so this "
                "one stops. Stop the other one first, or set WEBHOOK_URL to run several instances."
            )
        if status in (401, 404):
            raise StartupError("Telegram refused TELEGRAM_TOKEN (401 Unauthorized).")
        if status != 200 or not isinstance(answer, dict) or not answer.get("ok"):
            raise TelegramTrouble(f"getUpdates answered {status}")
        result = answer.get("result")
        if not isinstance(result, list):
            raise TelegramTrouble("getUpdates answered without a list of updates")
        return result

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class Poller:
    def __init__(
        self,
        telegram: TelegramBot,
        poll_timeout: int = POLL_TIMEOUT_SECONDS,
        *,
        take_over: bool = False,
    ) -> None:
        self._bot = telegram.application.bot
        self._processor = telegram.processor
        self._supervisor = telegram.supervisor
        self._take_over = take_over
        self._lease = PollingLease(telegram.core.database, telegram.owner, telegram.core.clock)
        settings = telegram.core.settings
        assert settings.telegram_token is not None
        self._feed = UpdateFeed(
            settings.telegram_api_url, settings.telegram_token.get_secret_value(), poll_timeout
        )
        self._offset: int | None = None
        self._stopping = False

    async def run(self) -> None:
        """Fetch and process updates until cancelled; failures back off and heal.

        Never takes over silently: not from a poller on the same database (the lease), nor
        from a webhook (only with take_over), nor from another poller (409 stops this one)."""
        await self._lease.take()
        try:
            await self._take_over_webhook()
            log.info("polling for updates")
            await self._supervisor.keep_running(
                POLLING_LOOP, self.poll_once, lambda: self._stopping, fatal=(StartupError,)
            )
        finally:
            await self._feed.close()
            await self._lease.release()

    async def _take_over_webhook(self) -> None:
        webhook = (await self._bot.get_webhook_info()).url
        if not webhook:
            return
        where = urlsplit(webhook).netloc or "elsewhere"
        if not self._take_over:
            raise StartupError(
                f"A webhook is registered for this bot (at {where}): another deployment receives "
                "its updates. To poll here instead, run `python -m bot run --take-over` "
                "(it removes that webhook)."
            )
        log.warning("taking over: the webhook at %s is removed", where)
        await self._bot.delete_webhook(drop_pending_updates=False)

    async def poll_once(self) -> None:
        await self._lease.renew()
        updates = await self._feed.fetch(self._offset)
        if await self._process_batch(updates):
            return
        # Nothing new was done: the updates waiting for a retry come back at once, so wait.
        wait = self._processor.next_retry_in()
        if wait is not None:
            await asyncio.sleep(wait)

    async def _process_batch(self, updates: list[Any]) -> bool:
        """Move the offset past the prefix that is done (ids need not increase); True when
        an update was committed or set aside."""
        by_subject: dict[str | None, list[Any]] = defaultdict(list)
        ids: list[int | None] = []
        for data in updates:
            by_subject[subject_key(data, self._processor.recipient)].append(data)
            try:
                ids.append(update_id_of(data))
            except NotAnUpdate:
                ids.append(None)  # no id at all: nothing to confirm or set aside; skipped
        done: set[int] = set()
        progress = False

        async def in_order(group: list[Any]) -> None:
            nonlocal progress
            for data in group:
                try:
                    outcome = await self._processor.handle(data)
                except NotAnUpdate:
                    log.warning("getUpdates gave something that is not an update; skipped")
                    continue
                if outcome is Outcome.LATER:
                    return  # the rest of this person's updates wait for the next fetch
                progress = progress or outcome is not Outcome.DUPLICATE
                done.add(update_id_of(data))

        outcomes = await asyncio.gather(
            *(in_order(group) for group in by_subject.values()), return_exceptions=True
        )
        # The database is away: what is done stays done; the loop backs off and fetches again.
        failure = next((o for o in outcomes if isinstance(o, BaseException)), None)
        for update_id in ids:
            if update_id is None:
                continue
            if update_id not in done:
                break
            self._offset = max(self._offset or 0, update_id + 1)
        if failure is not None:
            raise failure
        return progress
