"""One turn: the unit of work of one incoming update and what must be sent after commit.

Handlers reach the current turn through a context variable, because PTB calls them with
its own arguments; the turn is opened and committed by the update processor.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from datetime import datetime

from flows.outputs import Reply
from storage import UnitOfWork


@dataclass(frozen=True)
class Envelope:
    """A reply for one chat of one channel; sent only after the turn has committed."""

    chat_id: int
    reply: Reply


@dataclass
class Turn:
    uow: UnitOfWork
    now: datetime
    outbox: list[Envelope] = field(default_factory=list)
    chats_to_leave: list[int] = field(default_factory=list)
    acknowledged_callbacks: list[str] = field(default_factory=list)
    error: BaseException | None = None

    def send(self, chat_id: int, replies: list[Reply]) -> None:
        self.outbox.extend(Envelope(chat_id, reply) for reply in replies)


_current: contextvars.ContextVar[Turn] = contextvars.ContextVar("turn")


def current_turn() -> Turn:
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError("no turn is open: updates must go through UpdateProcessor") from None


def open_turn(turn: Turn) -> contextvars.Token[Turn]:
    return _current.set(turn)


def close_turn(token: contextvars.Token[Turn]) -> None:
    _current.reset(token)
