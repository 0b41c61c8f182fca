"""Task kinds of the flows: a question nobody answered in time, and a follow-up flow."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.services.conversations import FOLLOW_UP, NO_RESPONSE, Conversations
from bot.services.privacy import IdentityVault
from bot.services.scheduling import TaskRegistry
from bot.services.turn import Turn
from storage.records import Task

CHANNEL = "telegram"  # the terminal chat has no later: nothing can reach it afterwards


def register_flow_tasks(
    registry: TaskRegistry, conversations: Conversations, vault: IdentityVault
) -> None:
    async def reach(turn: Turn, task: Task, replies_of: str) -> None:
        parent = await turn.uow.parents.find(task.subject or "")
        if parent is None or parent.stopped_at is not None or parent.channel != CHANNEL:
            return  # erased, stopped, or not reachable later: nothing is sent
        payload = json.loads(task.payload)
        subject = task.subject or ""
        if replies_of == NO_RESPONSE:
            replies = await conversations.wake(turn.uow, parent, subject, payload["step"], turn.now)
        else:
            replies = await conversations.begin(
                turn.uow, parent, subject, turn.now, flow=payload["flow"]
            )
        chat = int(vault.open(parent.sealed_chat or ""))
        # Sent silently, and the flows never name the topic: others may see the lock screen.
        turn.send(chat, [replace(reply, silent=True) for reply in replies])

    async def no_response(turn: Turn, task: Task) -> None:
        await reach(turn, task, NO_RESPONSE)

    async def follow_up(turn: Turn, task: Task) -> None:
        await reach(turn, task, FOLLOW_UP)

    registry.register(NO_RESPONSE, no_response)
    registry.register(FOLLOW_UP, follow_up)
