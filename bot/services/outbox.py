"""Writing a turn's messages to the outbox, sealed, and reading them back for sending."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.services.privacy import IdentityVault
from bot.services.turn import Envelope, Turn
from flows.outputs import Choice, Reply
from storage import UnitOfWork
from storage.records import OutboxItem, Outgoing


def payload_of(envelope: Envelope) -> dict[str, Any]:
    if envelope.reply is not None:
        reply = envelope.reply
        return {
            "text": reply.text,
            "rtl": reply.rtl,
            "silent": reply.silent,
            "protect": reply.protect,
            "media": list(reply.media) if reply.media else None,
            "choices": [[[c.label, c.action] for c in row] for row in reply.choices],
        }
    if envelope.callback_id is not None:
        return {"callback_id": envelope.callback_id}
    return {}


def _chat_id(chat: str) -> int:
    """A Telegram chat id; 0 for another channel's chat (the terminal's), never sent."""
    return int(chat) if chat.lstrip("-").isdigit() else 0


@dataclass(frozen=True)
class Parcel:
    """An outbox message opened for sending."""

    id: int
    recipient: str
    kind: str
    chat_id: int
    reply: Reply | None
    callback_id: str | None
    source: str
    attempts: int  # including the one under way
    created_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)  # relays and deletes read it


class Outbox:
    def __init__(self, vault: IdentityVault, channel: str) -> None:
        self._vault = vault
        self._channel = channel

    def recipient(self, chat_id: int) -> str:
        """The keyed hash of a chat; for a parent's private chat it is their subject hash."""
        return self._vault.subject_hash(self._channel, chat_id)

    async def stage(self, uow: UnitOfWork, turn: Turn) -> None:
        """Write the turn's messages in its own transaction, in order."""
        # After /forget nothing of this turn may point back to the parent, receipts included.
        forgotten = {
            e.chat_id for e in turn.outbox if e.reply is not None and e.reply.leave_no_trace
        }
        messages = [
            Outgoing(
                recipient=secrets.token_hex(32)
                if envelope.chat_id in forgotten
                else self.recipient(envelope.chat_id),
                sealed_chat=self._vault.seal(envelope.chat_id),
                kind=envelope.kind,
                sealed_payload=self._vault.seal(json.dumps(payload_of(envelope))),
            )
            for envelope in turn.outbox
        ]
        await uow.outbox.add_all(messages, source=turn.source, now=turn.now)

    def open(self, item: OutboxItem) -> Parcel:
        payload = json.loads(self._vault.open(item.sealed_payload)) if item.sealed_payload else {}
        reply = None
        if "text" in payload:
            choices = tuple(
                tuple(Choice(label, action) for label, action in row) for row in payload["choices"]
            )
            reply = Reply(
                text=payload["text"],
                choices=choices,
                rtl=payload["rtl"],
                silent=payload.get("silent", False),
                protect=payload.get("protect", False),
                media=(payload["media"][0], payload["media"][1]) if payload.get("media") else None,
            )
        return Parcel(
            id=item.id,
            recipient=item.recipient,
            kind=item.kind,
            chat_id=_chat_id(self._vault.open(item.sealed_chat)),
            reply=reply,
            callback_id=payload.get("callback_id"),
            source=item.source,
            attempts=item.attempts,
            created_at=item.created_at,
            payload=payload,
        )
