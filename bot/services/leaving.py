"""A parent who blocks the bot has stopped: nothing more is sent or scheduled for them."""

from __future__ import annotations

from datetime import datetime

from storage import UnitOfWork


async def recipient_unreachable(uow: UnitOfWork, recipient: str, now: datetime) -> None:
    """`recipient` is the keyed hash of the chat, which for a parent is their subject hash."""
    await uow.outbox.drop_recipient(recipient, "recipient unreachable (blocked the bot)")
    await uow.parents.mark_stopped(recipient, now)
    await uow.tasks.cancel_subject(recipient, now)
