"""One turn: the unit of work of one update or task, and the messages it wants to send.

The messages are written to the outbox in the same transaction (see Outbox.stage), then
sent after commit. Handlers reach the current turn through a context variable, because PTB
calls them with its own arguments; the update processor opens and commits it.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from datetime import datetime

from flows.outputs import Reply
from storage import UnitOfWork

REPLY, ANSWER_CALLBACK, LEAVE_CHAT = "reply", "answer_callback", "leave_chat"
# Written by Mail only: a relayed copy, and deleting a copy (after a parent's /forget).
RELAY, DELETE, MENU, REACT = "relay", "delete", "menu", "react"


@dataclass(frozen=True)
class Envelope:
    """One thing to send to one chat: a reply, a callback answer, or leaving the chat."""

    kind: str
    chat_id: int
    reply: Reply | None = None
    callback_id: str | None = None


@dataclass
class Turn:
    uow: UnitOfWork
    now: datetime
    source: str  # "update:<id>" or "task:<id>": where the effects came from
    outbox: list[Envelope] = field(default_factory=list)
    error: BaseException | None = None

    def send(self, chat_id: int, replies: list[Reply]) -> None:
        self.outbox.extend(Envelope(REPLY, chat_id, reply=reply) for reply in replies)

    def answer_callback(self, chat_id: int, callback_id: str) -> None:
        self.outbox.append(Envelope(ANSWER_CALLBACK, chat_id, callback_id=callback_id))

    def leave(self, chat_id: int) -> None:
        self.outbox.append(Envelope(LEAVE_CHAT, chat_id))


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
