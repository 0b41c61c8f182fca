"""Processing one Telegram update: one transaction, one subject at a time, sent after commit.

An update that cannot be read is set aside at once; one whose handling keeps failing is
tried again with backoff and set aside after MAX_RETRIES retries. Setting aside notes the
update's id, type and error class (never its content) and tells the person, where known,
that something went wrong. A database outage is neither: the update waits for its return.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from prometheus_client import CollectorRegistry
from telegram import Update
from telegram.ext import Application

from bot.metrics import UpdateMetrics
from bot.services.clock import Clock
from bot.services.outbox import Outbox
from bot.services.turn import Turn, close_turn, open_turn
from flows.outputs import Reply
from storage import Database, UnitOfWork

log = logging.getLogger(__name__)

MAX_RETRIES = 5  # then the update is set aside
MAX_RETRY_GAP_SECONDS = 60.0
REMEMBERED_FAILURES = 10_000  # updates with failures counted at once (another may finish them)
MAX_LANGUAGE_CODE = 16


class UpdateFailed(Exception):
    """A handler failed; nothing of the update was committed, so it may be delivered again."""


class NotAnUpdate(ValueError):
    """The JSON is no update object: it has no integer update_id."""


class Outcome(Enum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"  # committed before: a redelivery
    SET_ASIDE = "set_aside"
    LATER = "later"  # failed, or waiting for its retry: deliver it again later


@dataclass(frozen=True)
class Sender:
    """Who wrote an update in their private chat with the bot, read from its raw JSON."""

    chat_id: int
    language_code: str | None


Apology = Callable[[UnitOfWork, int, datetime, str | None], Awaitable[list[Reply]]]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def update_id_of(data: Any) -> int:
    if not isinstance(data, dict) or not _is_int(data.get("update_id")):
        raise NotAnUpdate("no update object")
    return int(data["update_id"])


def kind_of(data: dict[str, Any]) -> str:
    """The update's type (message, callback_query, …), as a plain name or 'unknown'."""
    for key in data:
        if key != "update_id" and key.isascii() and key.replace("_", "").isalpha():
            return key[:32]
    return "unknown"


def sender_of(data: Any) -> Sender | None:
    """The person in a private chat who sent this update, when the JSON says so plainly."""
    if not isinstance(data, dict):
        return None
    for kind in ("message", "edited_message", "callback_query"):
        part = data.get(kind)
        if not isinstance(part, dict):
            continue
        user = part.get("from")
        holder = part.get("message") if kind == "callback_query" else part
        chat = holder.get("chat") if isinstance(holder, dict) else None
        if not (isinstance(user, dict) and isinstance(chat, dict)):
            return None
        user_id, chat_id = user.get("id"), chat.get("id")
        private = chat.get("type") == "private" and user_id == chat_id
        if not (private and isinstance(chat_id, int) and _is_int(chat_id)):
            return None
        code = user.get("language_code")
        valid = isinstance(code, str) and code.isascii() and len(code) <= MAX_LANGUAGE_CODE
        return Sender(int(chat_id), code if valid else None)
    return None


def subject_key(data: Any, recipient: Callable[[int], str]) -> str | None:
    """One person's updates are handled in order: the key of the person, from the raw JSON."""
    if not isinstance(data, dict):
        return None
    for part in data.values():
        if isinstance(part, dict):
            for holder in (part.get("from"), part.get("chat")):
                if isinstance(holder, dict) and _is_int(holder.get("id")):
                    return recipient(int(holder["id"]))
    return None


class UpdateProcessor:
    def __init__(
        self,
        application: Application,
        database: Database,
        clock: Clock,
        outbox: Outbox,
        committed: Callable[[], None],
        *,
        apology: Apology,
        retry_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
        metrics: UpdateMetrics | None = None,
    ) -> None:
        self._application = application
        self._database = database
        self._clock = clock
        self._outbox = outbox
        self._committed = committed
        self._apology = apology
        self._retry_seconds = retry_seconds
        self._monotonic = monotonic
        self._metrics = metrics or UpdateMetrics(CollectorRegistry())
        # update_id → (failures so far, when it may be tried again)
        self._failures: OrderedDict[int, tuple[int, float]] = OrderedDict()

    def recipient(self, chat_id: int) -> str:
        return self._outbox.recipient(chat_id)

    def subject_of(self, update: Update) -> str | None:
        """Updates of one person (or one group) are handled one at a time, in order."""
        if update.effective_user is not None:
            return self._outbox.recipient(update.effective_user.id)
        if update.effective_chat is not None:
            return self._outbox.recipient(update.effective_chat.id)
        return None

    async def handle(self, data: Any) -> Outcome:
        """Read and process one update's raw JSON. NotAnUpdate for JSON without an update id;
        DatabaseUnavailable when the database is away (deliver it again after its return)."""
        update_id = update_id_of(data)
        started = time.perf_counter()
        try:
            update = Update.de_json(data, self._application.bot)
        except Exception as error:  # PTB cannot read it: another schema, or a broken one
            outcome = await self._set_aside(data, update_id, error, attempts=1)
            self._metrics.done(outcome.value, "unreadable", time.perf_counter() - started)
            return outcome
        failures, retry_at = self._failures.get(update_id, (0, 0.0))
        if retry_at > self._monotonic():
            return Outcome.LATER
        try:
            done = await self.process(update)
        except Exception as error:
            await self._database.ping()  # raises DatabaseUnavailable: not the update's fault
            self._metrics.failed()
            outcome = await self._failed(data, update_id, error, failures + 1)
            self._metrics.done(outcome.value, "failing", time.perf_counter() - started)
            return outcome
        self._failures.pop(update_id, None)
        outcome = Outcome.PROCESSED if done else Outcome.DUPLICATE
        self._metrics.done(outcome.value, "", time.perf_counter() - started)
        return outcome

    def next_retry_in(self) -> float | None:
        """Seconds until the soonest failed update may be tried again, if any waits."""
        if not self._failures:
            return None
        soonest = min(retry_at for _, retry_at in self._failures.values())
        return max(0.0, soonest - self._monotonic())

    async def _failed(self, data: Any, update_id: int, error: Exception, failures: int) -> Outcome:
        if failures > MAX_RETRIES:
            self._failures.pop(update_id, None)
            return await self._set_aside(data, update_id, error, failures)
        delay = min(self._retry_seconds * 2 ** (failures - 1), MAX_RETRY_GAP_SECONDS)
        self._failures[update_id] = (failures, self._monotonic() + delay)
        self._failures.move_to_end(update_id)
        while len(self._failures) > REMEMBERED_FAILURES:
            self._failures.popitem(last=False)
        log.warning(
            "update %s failed (%s), attempt %s of %s; again in %.1f s",
            update_id,
            type(error.__cause__ or error).__name__,
            failures,
            MAX_RETRIES + 1,
            delay,
            exc_info=error if failures == 1 else None,
        )
        return Outcome.LATER

    async def process(self, update: Update) -> bool:
        """Handle `update` once: False when it had been committed before.

        Its effects, its outgoing messages and its update_id commit together.
        """
        subject = self.subject_of(update)
        async with self._database.transaction(subject, lock_in_first_statement=True) as uow:
            now = self._clock.now()
            if not await uow.updates.note(update.update_id, now, lock=uow.advisory_key):
                log.debug("update %s was already processed", update.update_id)
                return False
            turn = Turn(uow=uow, now=now, source=f"update:{update.update_id}")
            token = open_turn(turn)
            try:
                await self._application.process_update(update)
            finally:
                close_turn(token)
            if turn.error is not None:
                raise UpdateFailed(f"update {update.update_id} failed") from turn.error
            await self._outbox.stage(uow, turn)
        self._committed()
        return True

    async def _set_aside(
        self, data: dict[str, Any], update_id: int, error: Exception, attempts: int
    ) -> Outcome:
        """Note the update without content, tell its sender, and never handle it again."""
        kind, cause = kind_of(data), type(error.__cause__ or error).__name__
        sender = sender_of(data)
        lock = self._outbox.recipient(sender.chat_id) if sender else None
        try:
            async with self._database.transaction(lock=lock) as uow:
                now = self._clock.now()
                if not await uow.updates.set_aside(update_id, kind, cause, attempts, now):
                    return Outcome.DUPLICATE
                if sender is not None:
                    turn = Turn(uow=uow, now=now, source=f"update:{update_id}")
                    replies = await self._apology(uow, sender.chat_id, now, sender.language_code)
                    turn.send(sender.chat_id, replies)
                    await self._outbox.stage(uow, turn)
        except Exception:
            await self._database.ping()  # DatabaseUnavailable when that was the cause
            raise
        log.warning(
            "update %s (%s) set aside after %s attempt(s): %s", update_id, kind, attempts, cause
        )
        self._committed()
        return Outcome.SET_ASIDE
