"""Task kinds of the flows: a question nobody answered in time, and a follow-up flow."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.services.conversations import Conversations
from bot.services.privacy import IdentityVault
from bot.services.scheduling import TaskRegistry
from bot.services.task_kinds import FOLLOW_UP, NO_RESPONSE
from bot.services.turn import Turn
from storage.records import Task

STARTED_WITH = ("case", "referral", "partner")
CHANNEL = "telegram"  # the terminal chat has no later: nothing can reach it afterwards


def register_flow_tasks(
    registry: TaskRegistry,
    conversations: Conversations,
    vault: IdentityVault,
    quiet_until: Callable[[datetime], datetime | None],
) -> None:
    """`quiet_until(now)`: when the parents' quiet hours around `now` end, or None."""

    async def reach(turn: Turn, task: Task, replies_of: str) -> None:
        parent = await turn.uow.parents.find(task.subject or "")
        if parent is None or parent.stopped_at is not None or parent.channel != CHANNEL:
            return  # erased, stopped, or not reachable later: nothing is sent
        payload = json.loads(task.payload)
        subject = task.subject or ""
        morning = quiet_until(turn.now)
        if morning is not None:  # nothing reaches a parent at night: again in the morning
            await turn.uow.tasks.schedule(
                task.kind, morning, turn.now, subject=subject, payload=payload
            )
            return
        if "case" in payload:  # a check-in about a case that is still open
            case = await turn.uow.cases.get(int(payload["case"]))
            if (
                case is None
                or case.parent_id != parent.id
                or case.status in ("closed", "withdrawn")
            ):
                return
        if "referral" in payload:  # … and about a referral that has not ended
            referral = await turn.uow.referrals.get(int(payload["referral"]))
            if referral is None or referral.ended_at is not None:
                return
        if replies_of == NO_RESPONSE:
            replies = await conversations.wake(turn.uow, parent, subject, payload["step"], turn.now)
        else:
            # What the flow knows of why it was started: its case, referral and partner.
            results = {key: payload[key] for key in STARTED_WITH if key in payload} or None
            replies = await conversations.begin(
                turn.uow, parent, subject, turn.now, flow=payload["flow"], results=results
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
