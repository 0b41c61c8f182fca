"""Parents walking a bot through the fake Bot API, timing each step and counting replies."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field

from bench.fake_api import FastBotApi

QUESTION = "My son does not want to go to school."


@dataclass(frozen=True)
class Step:
    """What the parent does (`text`, `data`: press this callback, `index`: press the button
    at this place on the latest keyboard) and how many messages answer it."""

    action: str
    value: str | int
    replies: int


def _steps(*steps: tuple[str, str | int, int]) -> tuple[Step, ...]:
    return tuple(Step(*step) for step in steps)


# The echo bot: five messages, one reply each.
ECHO = _steps(*(("text", f"hello {n}", 1) for n in range(5)))
# PTB's ConversationHandler intake (bench/peers.py): five steps, one message each.
INTAKE = _steps(
    ("text", "/start", 1),
    ("index", 1, 1),  # a topic
    ("text", QUESTION, 1),
    ("index", 2, 1),  # a preference
    ("index", 0, 1),  # consent
)
# The project's default flows, as tests/journeys.py ask_a_question walks them.
PROJECT = _steps(
    ("text", "/start", 1),  # the language picker
    ("data", "lang:en", 3),  # the short welcome (2), then the menu
    ("index", 0, 1),  # ask a question
    ("index", 1, 2),  # a topic: the question, and the voice warning
    ("text", QUESTION, 1),
    ("index", 2, 1),  # no preference
    ("index", 1, 2),  # not urgent
    ("index", 0, 2),  # yes, pass it on: passed on, and it may take longer
)

_user_ids = itertools.count(1_000_000)


def new_user() -> dict[str, object]:
    """A parent nobody has seen yet."""
    return {"id": next(_user_ids), "is_bot": False, "first_name": "P", "language_code": "en"}


@dataclass
class WalkStats:
    """What the walkers saw: per step the time to the first and to the last reply."""

    updates: int = 0
    first: list[float] = field(default_factory=list)
    full: list[float] = field(default_factory=list)
    expected: dict[int, int] = field(default_factory=dict)  # chat -> replies it should have
    started: float = 0.0
    last_reply: float = 0.0


def _act(api: FastBotApi, user: dict[str, object], step: Step, chat_id: int) -> None:
    if step.action == "text":
        api.send_text(user, str(step.value))
    elif step.action == "data":
        api.press(user, str(step.value))
    else:
        received = api.chat(chat_id).received
        latest = next((m for m in reversed(received) if m.callback_data()), None)
        if latest is None:
            raise RuntimeError("no keyboard to press")
        api.press(user, latest.callback_data()[int(step.value)], on=latest)


async def walk(
    api: FastBotApi,
    steps: tuple[Step, ...],
    stats: WalkStats,
    *,
    deadline: float,
    timeout: float,
) -> None:
    """One new parent walks `steps`; no new step starts after `deadline` (perf_counter)."""
    user = new_user()
    chat_id = int(str(user["id"]))
    chat = api.chat(chat_id)
    have = 0
    stats.expected[chat_id] = 0
    for step in steps:
        if time.perf_counter() > deadline:
            return
        sent = time.perf_counter()
        _act(api, user, step, chat_id)
        stats.expected[chat_id] = want = have + step.replies
        if not await api.wait_for(chat_id, want, timeout):
            return  # counted as lost at the end
        stats.updates += 1
        stats.first.append(chat.received[have].at - sent)
        stats.full.append(chat.received[want - 1].at - sent)
        stats.last_reply = max(stats.last_reply, chat.received[want - 1].at)
        have = want


async def walk_many(
    api: FastBotApi, steps: tuple[Step, ...], parents: int, *, seconds: float, timeout: float
) -> WalkStats:
    """`parents` walk at once; a step under way at the deadline is finished."""
    stats = WalkStats(started=time.perf_counter())
    deadline = stats.started + seconds
    await asyncio.gather(
        *(walk(api, steps, stats, deadline=deadline, timeout=timeout) for _ in range(parents))
    )
    return stats


async def walk_alone(
    api: FastBotApi, steps: tuple[Step, ...], walks: int, *, timeout: float
) -> WalkStats:
    """One parent at a time, `walks` times: the latency of a bot that is otherwise idle."""
    stats = WalkStats(started=time.perf_counter())
    for _ in range(walks):
        await walk(api, steps, stats, deadline=float("inf"), timeout=timeout)
    return stats


def lost_and_duplicates(api: FastBotApi, stats: WalkStats) -> tuple[int, int]:
    """Replies missing, and replies beyond those expected, over the walkers' chats."""
    lost = duplicates = 0
    for chat_id, want in stats.expected.items():
        got = len(api.chat(chat_id).received)
        lost += max(0, want - got)
        duplicates += max(0, got - want)
    return lost, duplicates
