"""A supervised loop backs off (capped), logs once per outage, and says when it works again."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.logs import LOG_FORMAT, PrivateFormatter
from bot.supervision import Supervisor


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_to_its_cap_and_ends_on_success(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    supervisor = Supervisor(first=1.0, cap=60.0, monotonic=clock)
    with caplog.at_level(logging.INFO, logger="bot.supervision"):
        delays = [supervisor.failed("outbox", ConnectionError("db gone")) for _ in range(8)]
        assert supervisor.failing() == {"outbox": "ConnectionError"}
        assert supervisor.waiting("outbox") == 60.0
        clock.now = 100.0
        supervisor.succeeded("outbox")
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60]
    assert supervisor.failing() == {} and supervisor.waiting("outbox") == 0
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "outbox is failing (ConnectionError)" in errors[0].getMessage()
    # With the bot's formatter the error's own words stay out, its class and place stay in.
    line = PrivateFormatter(LOG_FORMAT).format(errors[0])
    assert "db gone" not in line and "ConnectionError" in line
    assert "works again after 8 failures" in caplog.text


async def test_a_guarded_step_is_skipped_while_it_backs_off() -> None:
    clock = Clock()
    supervisor = Supervisor(first=5.0, monotonic=clock)
    calls = 0

    async def tick() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("refused")

    await supervisor.guarded("tasks", tick)  # fails
    await supervisor.guarded("tasks", tick)  # skipped: 5 s to wait
    assert calls == 1 and supervisor.failing() == {"tasks": "OSError"}
    clock.now = 5.0
    await supervisor.guarded("tasks", tick)
    assert calls == 2 and supervisor.failing() == {}


async def test_keep_running_survives_failures_and_stops_on_fatal() -> None:
    supervisor = Supervisor(first=0.001)
    steps = 0

    async def step() -> None:
        nonlocal steps
        steps += 1
        if steps < 4:
            raise RuntimeError("not yet")
        if steps == 6:
            raise KeyError("fatal")

    with pytest.raises(KeyError):
        await asyncio.wait_for(
            supervisor.keep_running("polling", step, lambda: False, (KeyError,)), 5
        )
    assert steps == 6 and supervisor.failing() == {}
