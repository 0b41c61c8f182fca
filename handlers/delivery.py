"""Sending the outbox to Telegram: the one place the bot sends from.

Order per chat comes from the outbox (a chat's messages are claimed as one run from its
oldest unsent one, up to its burst, and sent one after another);
rate limits use aiolimiter (the leaky bucket PTB's AIORateLimiter is built on, which limits
groups but not private chats, and does not retry by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import OrderedDict
from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InputFile,
    MessageEntity,
    ReactionTypeEmoji,
    ReplyParameters,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

from bot.i18n import RLM
from bot.services.clock import Clock
from bot.services.leaving import Unreachable
from bot.services.outbox import Outbox, Parcel
from bot.services.turn import ANSWER_CALLBACK, DELETE, LEAVE_CHAT, MENU, REACT, RELAY, REPLY
from bot.supervision import Supervisor
from flows.outputs import TELEGRAM_FILE, Reply
from handlers.parts import in_parts, utf16_length
from handlers.render import render_markup, render_text
from storage import Database

log = logging.getLogger(__name__)

OUTBOX_LOOP = "outbox"
STOP_GRACE_SECONDS = 10.0
BATCH = 50
IDLE_POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300
GIVE_UP_AFTER = timedelta(days=1)
CHAT_BURST, CHAT_PERIOD_SECONDS = 3, 3.0  # 1 message/s per chat, bursts of 3
KNOWN_CHATS = 10_000
BUSY_SCAN = 300  # at 30 sends/s, chats used in the last 10 s: longer than a chat's period
VOICE_FORBIDDEN = "VOICE_MESSAGES_FORBIDDEN"  # the recipient's privacy settings refuse voice


class Backoff(Exception):
    """Send again after `delay`."""

    def __init__(self, delay: timedelta, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


class OutboxDispatcher:
    def __init__(
        self,
        bot: Bot,
        database: Database,
        outbox: Outbox,
        clock: Clock,
        *,
        unreachable: Unreachable,
        owner: str,
        messages_per_second: float,
        per_chat: tuple[int, float] = (CHAT_BURST, CHAT_PERIOD_SECONDS),
        lease: timedelta = timedelta(seconds=30),
        media_root: Path = Path("."),
    ) -> None:
        self._bot = bot
        self._database = database
        self._outbox = outbox
        self._clock = clock
        self._unreachable = unreachable
        self._owner = owner
        self._overall = AsyncLimiter(messages_per_second, 1)
        self._per_chat_rate = per_chat
        # Longer than one send can take (PTB's timeouts add up to ~16 s); after a crash a
        # chat waits this long before its leased message goes out again.
        self._lease = lease
        self._media_root = media_root  # the flows folder: media paths are relative to it
        self._per_chat: OrderedDict[str, AsyncLimiter] = OrderedDict()
        self._wake = asyncio.Event()
        self._stopping = False
        # Sent, but not yet noted in the database: outbox id → (relay id, copy id, sent at)
        self._unrecorded: dict[int, tuple[int | None, int | None, datetime]] = {}
        self._recording: asyncio.Future[None] | None = None  # the receipts being written
        self._more = False  # the last round may have left messages that could go now

    def wake(self) -> None:
        """Something was committed to the outbox: look now rather than at the next poll."""
        self._wake.set()

    async def run(self, supervisor: Supervisor) -> None:
        """Send until stop() is called; a send under way is finished, not cut off.

        A failing round (the database is away) backs off and tries again: never dies."""
        await supervisor.keep_running(OUTBOX_LOOP, self._round, lambda: self._stopping)

    async def _round(self) -> None:
        self._wake.clear()  # before draining: a commit during the drain wakes the next wait
        await self.drain_once()
        # Claimed all that could go (no chat's run was cut at its burst, fewer chats than a
        # batch): unless a commit woke it meanwhile, the next round waits. What waits for a
        # retry or for its chat's limit is found by the idle poll.
        if not self._more and not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def drain_once(self) -> int:
        """Claim the next messages of every waiting chat, up to its burst, and send each
        chat's in order; returns how many were claimed."""
        await self._record_sent()
        now = self._clock.now()
        # A round waits for its slowest send: a chat that must wait for its own limit (a
        # flood's) is not claimed now, so it never holds up the other chats of the round.
        busy = self._busy_chats()
        async with self._database.transaction() as uow:
            items = await uow.outbox.claim(
                now, self._owner, self._lease, BATCH, busy=busy, per_chat=self._per_chat_rate[0]
            )
        runs: dict[str, list[Parcel]] = {}
        for item in items:
            runs.setdefault(item.recipient, []).append(self._outbox.open(item))
        burst = self._per_chat_rate[0]
        self._more = len(runs) >= BATCH or any(len(run) >= burst for run in runs.values())
        await asyncio.gather(*(self._deliver_run(run) for run in runs.values()))
        await self._record_sent()  # the round's receipts in one transaction
        return len(items)

    async def _deliver_run(self, run: list[Parcel]) -> None:
        """One chat's messages, one after another. At the first that does not go out, or
        when the chat's limit has no room left (or the dispatcher stops), the rest are given
        back: no later message overtakes it, and the round never waits on a chat's limit."""
        for index, parcel in enumerate(run):
            limited = parcel.kind in (REPLY, RELAY)
            full = limited and not self._chat_limiter(parcel.recipient).has_capacity()
            if index > 0 and (self._stopping or full):
                await self._release(run[index:])
                return
            if index > 0:
                # The one before is noted first: after a crash only the last message sent
                # can go again, right after itself, never a whole run out of order.
                await self._record_sent(only=[run[index - 1].id])
            if not await self._deliver(parcel):
                await self._release(run[index + 1 :])
                return

    async def _release(self, parcels: list[Parcel]) -> None:
        if parcels:
            async with self._database.transaction() as uow:
                await uow.outbox.release([parcel.id for parcel in parcels], self._owner)

    def _busy_chats(self) -> set[str]:
        """Chats whose limiter has no room now, among the most recently used ones (a chat
        used longer ago than its limiter's period has room again)."""
        busy = set()
        for recipient in itertools.islice(reversed(self._per_chat), BUSY_SCAN):
            if not self._per_chat[recipient].has_capacity():
                busy.add(recipient)
        return busy

    async def _deliver(self, parcel: Parcel) -> bool:
        """Send one message and note how it went; False when it did not go out."""
        if parcel.chat_id == 0:  # the terminal chat's, in a database shared with it
            async with self._database.transaction() as uow:
                await uow.outbox.mark_failed(parcel.id, self._owner, "not a Telegram chat")
            return False
        try:
            copy_id = await self._send(parcel)
        except Backoff as backoff:
            now = self._clock.now()
            async with self._database.transaction() as uow:
                if now - parcel.created_at > GIVE_UP_AFTER:
                    await uow.outbox.mark_failed(parcel.id, self._owner, f"gave up: {backoff}")
                    log.error("outbox %s: gave up after %s", parcel.id, GIVE_UP_AFTER)
                else:
                    await uow.outbox.retry_at(
                        parcel.id, self._owner, now + backoff.delay, str(backoff)
                    )
            return False
        except Forbidden as error:
            async with self._database.transaction() as uow:
                await uow.outbox.mark_failed(parcel.id, self._owner, error.message)
                if parcel.kind != LEAVE_CHAT:
                    await self._unreachable(uow, parcel.recipient, self._clock.now())
            log.info(
                "outbox %s: recipient unreachable; their messages and tasks are dropped", parcel.id
            )
            return False
        except BadRequest as error:
            async with self._database.transaction() as uow:
                await uow.outbox.mark_failed(parcel.id, self._owner, error.message)
            log.warning("outbox %s: refused by Telegram (%s)", parcel.id, error.message[:80])
            return False
        relay = int(parcel.payload["relay"]) if copy_id is not None else None
        self._unrecorded[parcel.id] = (relay, copy_id, self._clock.now())
        return True

    async def _record_sent(self, only: Collection[int] | None = None) -> None:
        """Note what was sent (all of it, or at least `only` these). While the database is
        away the notes wait, and go in first when it is back: else a message would go again
        once its lease ran out.

        Group commit: one transaction notes every receipt waiting, whichever chat's; a run
        that needs its receipt while another chat's are being written waits for that write,
        and writes what is still missing after it, together with what came meanwhile."""
        while True:
            missing = (
                bool(self._unrecorded) if only is None else any(i in self._unrecorded for i in only)
            )
            if not missing:
                return
            if self._recording is None:
                break
            await self._recording  # never fails: a failed write is tried again by its waiters
        self._recording = asyncio.get_running_loop().create_future()
        try:
            await self._write_receipts(dict(self._unrecorded))
        finally:
            self._recording.set_result(None)
            self._recording = None

    async def _write_receipts(
        self, noted: dict[int, tuple[int | None, int | None, datetime]]
    ) -> None:
        async with self._database.transaction() as uow:
            sent = [(message_id, sent_at) for message_id, (_, _, sent_at) in noted.items()]
            await uow.outbox.mark_sent_all(sent, self._owner)
            for relay, copy_id, sent_at in noted.values():
                if relay is not None and copy_id is not None:
                    await uow.relays.sent(relay, copy_id, sent_at)
        for message_id in noted:
            self._unrecorded.pop(message_id, None)

    async def _send(self, parcel: Parcel) -> int | None:
        """One Bot API call; transient failures become Backoff. A relay returns its copy."""
        try:
            if parcel.kind == RELAY:
                async with self._chat_limiter(parcel.recipient), self._overall:
                    return await self._relay(parcel.chat_id, parcel.payload)
            if parcel.kind == DELETE:
                await self._bot.delete_message(parcel.chat_id, parcel.payload["message_id"])
            elif parcel.kind == REACT:
                await self._bot.set_message_reaction(
                    parcel.chat_id,
                    parcel.payload["message_id"],
                    [ReactionTypeEmoji(parcel.payload["emoji"])],
                )
            elif parcel.kind == MENU:
                commands = [BotCommand(name, text) for name, text in parcel.payload["commands"]]
                await self._bot.set_my_commands(commands, scope=BotCommandScopeChat(parcel.chat_id))
            elif parcel.kind == REPLY:
                assert parcel.reply is not None
                async with self._chat_limiter(parcel.recipient), self._overall:
                    if parcel.reply.media is not None:
                        await self._send_media(parcel.chat_id, parcel.reply)
                    else:
                        parts = in_parts("", render_text(parcel.reply))
                        for number, (text, _) in enumerate(parts, 1):
                            last = number == len(parts)  # the buttons go under the last part
                            await self._bot.send_message(
                                parcel.chat_id,
                                text,
                                reply_markup=render_markup(parcel.reply) if last else None,
                                disable_notification=parcel.reply.silent,
                                protect_content=parcel.reply.protect,
                            )
            elif parcel.kind == ANSWER_CALLBACK:
                await self._bot.answer_callback_query(parcel.callback_id or "")
            elif parcel.kind == LEAVE_CHAT:
                await self._bot.leave_chat(parcel.chat_id)
            else:
                raise BadRequest(f"unknown outbox kind {parcel.kind}")
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            raise Backoff(timedelta(seconds=seconds), "429 Too Many Requests") from None
        except (Forbidden, BadRequest):
            raise
        except (InvalidToken, TelegramError) as error:
            # 5xx, timeouts and network errors: exponential backoff, 1 s, 2 s, 4 s … 5 min
            delay = min(2 ** (parcel.attempts - 1), MAX_BACKOFF_SECONDS)
            raise Backoff(timedelta(seconds=delay), type(error).__name__) from None
        return None

    async def _relay(self, chat_id: int, payload: dict[str, Any]) -> int:
        """Copy a relayed message under a header line; no "forwarded from", formatting kept.

        A voice message the recipient's settings refuse goes as an audio file instead."""
        said = payload["said"]
        head = (RLM if payload["rtl"] else "") + payload["header"]
        text = f"{head}\n{said['text']}" if said["text"] else head
        shift = utf16_length(head) + 1
        entities = [
            MessageEntity(kind, offset + shift, length) for kind, offset, length in said["entities"]
        ]
        options: dict[str, Any] = {"protect_content": payload["protect"]}
        if payload["reply_to"]:
            options["reply_parameters"] = ReplyParameters(
                payload["reply_to"], allow_sending_without_reply=True
            )
        if said["kind"] == "text":
            # Over Telegram's limit with the header: in parts, in order; replies find the first.
            first = None
            for part, kept in in_parts(head, said["text"], [tuple(e) for e in said["entities"]]):
                found = [MessageEntity(kind, offset, length) for kind, offset, length in kept]
                sent = await self._bot.send_message(chat_id, part, entities=found, **options)
                first = first or sent.message_id
                options.pop("reply_parameters", None)
            assert first is not None
            return first
        try:
            copied = await self._bot.copy_message(
                chat_id,
                said["chat_id"],
                said["message_id"],
                caption=text,
                caption_entities=entities,
                **options,
            )
            return copied.message_id
        except BadRequest as error:
            if said["kind"] != "voice" or VOICE_FORBIDDEN not in error.message.upper():
                raise
        voice = await (await self._bot.get_file(said["file_id"])).download_as_bytearray()
        sent = await self._bot.send_audio(
            chat_id,
            InputFile(bytes(voice), filename="voice.ogg"),
            caption=text,
            caption_entities=entities,
            **options,
        )
        return sent.message_id

    async def _send_media(self, chat_id: int, reply: Reply) -> None:
        """A flow's voice prompt, audio, photo or document, from the flows folder, or a
        parent's voice message (their question) to a VP; voice goes as audio where the
        recipient's settings refuse voice messages."""
        assert reply.media is not None
        kind, path = reply.media
        send = {
            "voice": self._bot.send_voice,
            "audio": self._bot.send_audio,
            "photo": self._bot.send_photo,
            "document": self._bot.send_document,
        }[kind]
        # A file Telegram already has (a parent's voice message) goes by its id.
        known = path.startswith(TELEGRAM_FILE)
        file: str | InputFile = (
            path.removeprefix(TELEGRAM_FILE)
            if known
            else InputFile((self._media_root / path).read_bytes(), filename=Path(path).name)
        )
        options: dict[str, Any] = {
            "caption": render_text(reply) or None,
            "disable_notification": reply.silent,
            "protect_content": reply.protect,
        }
        try:
            await send(chat_id, file, **options)  # type: ignore[operator]
        except BadRequest as error:
            if kind != "voice" or VOICE_FORBIDDEN not in error.message.upper():
                raise
            if known:
                data = await (await self._bot.get_file(str(file))).download_as_bytearray()
                file = InputFile(bytes(data), filename="voice.ogg")
            await self._bot.send_audio(chat_id, file, **options)

    def _chat_limiter(self, recipient: str) -> AsyncLimiter:
        limiter = self._per_chat.get(recipient)
        if limiter is None:
            limiter = AsyncLimiter(*self._per_chat_rate)
            self._per_chat[recipient] = limiter
            if len(self._per_chat) > KNOWN_CHATS:
                self._per_chat.popitem(last=False)
        self._per_chat.move_to_end(recipient)
        return limiter
