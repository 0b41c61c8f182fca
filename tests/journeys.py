"""A parent's whole journey through the shipped flows, for load and fault tests: choose a
language, ask a question in their own words, pass it on with consent."""

from __future__ import annotations

import asyncio

from tests.botapi import FakeUser
from tests.botapi.people import buttons

STEPS = 8


async def press_index(parent: FakeUser, index: int) -> None:
    """Press a button of the latest message that has buttons, by its place."""
    latest = next(m for m in reversed(parent.received) if buttons(m))
    await parent.press(buttons(latest)[index]["callback_data"])


async def ask_a_question(parent: FakeUser, timeout: float = 30.0) -> list[float]:
    """Walk from /start to "passed on" in English; returns each step's answer time (s)."""
    loop = asyncio.get_running_loop()
    took: list[float] = []

    async def step(count: int) -> None:
        started = loop.time()
        await parent.wait_for(count, timeout=timeout)
        took.append(loop.time() - started)

    await parent.send_text("/start")
    await step(1)  # the language picker
    await parent.press("lang:en")
    await step(3)  # the short welcome: hello (2), menu
    await press_index(parent, 0)  # ask a question
    await step(1)
    await press_index(parent, 1)  # a topic
    await step(2)  # the question, and the voice warning
    await parent.send_text("My son does not want to go to school.")
    await step(1)
    await press_index(parent, 2)  # no preference
    await step(1)
    await press_index(parent, 1)  # not urgent
    await step(2)
    await press_index(parent, 0)  # yes, pass it on
    await step(2)  # passed on, and: no VP is registered, it may take longer
    assert len(took) == STEPS
    return took
