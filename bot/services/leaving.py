"""Someone blocked the bot. A parent has stopped: nothing more is sent or scheduled for
them. A VP's open cases go to someone else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.services.cases import CaseDesk
from storage import UnitOfWork

Unreachable = Callable[[UnitOfWork, str, datetime], Awaitable[None]]


class Leaving:
    def __init__(self, cases: CaseDesk) -> None:
        self._cases = cases

    async def unreachable(self, uow: UnitOfWork, recipient: str, now: datetime) -> None:
        """`recipient` is the keyed hash of the chat: a parent's or a person's subject hash."""
        await uow.outbox.drop_recipient(recipient, "recipient unreachable (blocked the bot)")
        person = await uow.people.find(recipient)
        if person is not None:
            if person.active:
                await uow.people.update(person.id, active=False)
                await self._cases.release_vp(uow, person, "blocked the bot", now)
            return
        await uow.parents.mark_stopped(recipient, now)
        await uow.tasks.cancel_subject(recipient, now)
