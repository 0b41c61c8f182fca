"""Messages to someone other than the person who wrote: a VP, a coordinator, a parent.

They go into the outbox like every other message, in the same transaction as the change
that caused them, addressed by the sealed chat stored with the person."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.services.outbox import payload_of
from bot.services.privacy import IdentityVault
from bot.services.turn import DELETE, MENU, REACT, RELAY, REPLY, Envelope
from flows.outputs import Reply
from storage import UnitOfWork


class Mail:
    def __init__(self, vault: IdentityVault) -> None:
        self._vault = vault

    async def send(
        self,
        uow: UnitOfWork,
        recipient: str,
        sealed_chat: str | None,
        replies: list[Reply],
        source: str,
        now: datetime,
    ) -> None:
        """`recipient` is the person's subject hash (it orders their messages)."""
        for reply in replies:
            payload = payload_of(Envelope(REPLY, 0, reply=reply))
            await self._stage(uow, recipient, sealed_chat, REPLY, payload, source, now)

    async def relay(
        self,
        uow: UnitOfWork,
        recipient: str,
        sealed_chat: str | None,
        payload: dict[str, Any],
        source: str,
        now: datetime,
    ) -> None:
        """A relayed copy (see Relay); the payload names the original to copy from."""
        await self._stage(uow, recipient, sealed_chat, RELAY, payload, source, now)

    async def delete(
        self,
        uow: UnitOfWork,
        recipient: str,
        sealed_chat: str,
        message_id: int,
        source: str,
        now: datetime,
    ) -> None:
        """Remove a message the bot sent earlier (Telegram allows it for 48 hours)."""
        payload = {"message_id": message_id}
        await self._stage(uow, recipient, sealed_chat, DELETE, payload, source, now)

    async def react(
        self,
        uow: UnitOfWork,
        recipient: str,
        sealed_chat: str | None,
        message_id: int,
        now: datetime,
    ) -> None:
        """A 👍 on someone's own message: it was passed on (a receipt that says nothing)."""
        payload = {"message_id": message_id, "emoji": "👍"}
        await self._stage(uow, recipient, sealed_chat, REACT, payload, "receipt", now)

    async def menu(
        self,
        uow: UnitOfWork,
        recipient: str,
        sealed_chat: str,
        commands: list[tuple[str, str]],
        now: datetime,
    ) -> None:
        """The command menu of one person's chat: (command, description) pairs."""
        payload = {"commands": commands}
        await self._stage(uow, recipient, sealed_chat, MENU, payload, "menu", now)

    async def _stage(
        self,
        uow: UnitOfWork,
        recipient: str,
        sealed_chat: str | None,
        kind: str,
        payload: dict[str, Any],
        source: str,
        now: datetime,
    ) -> None:
        if not sealed_chat:
            return  # nobody to reach (a parent erased meanwhile)
        await uow.outbox.add(
            recipient=recipient,
            sealed_chat=sealed_chat,
            kind=kind,
            sealed_payload=self._vault.seal(json.dumps(payload)),
            source=source,
            now=now,
        )
