"""The task heartbeat: ticks drain back to back while work is due, are never skipped behind a
running drain, and a failing drain backs off without dying."""

from __future__ import annotations

import asyncio
from datetime import datetime
from types import SimpleNamespace
from typing import cast

from bot.runtime import Core
from bot.scheduler import TASKS_LOOP, Heartbeat
from bot.services.clock import ManualClock
from bot.services.node_tally import NodeTally
from bot.services.scheduling import TaskRunner
from bot.supervision import Supervisor


class Runner:
    """A task runner that claims the given batch sizes in turn, then nothing."""

    def __init__(self, batches: list[int | Exception]) -> None:
        self.batches = batches
        self.ticks = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def tick(self, now: datetime) -> int:
        await self.gate.wait()
        self.ticks += 1
        found = self.batches.pop(0) if self.batches else 0
        if isinstance(found, Exception):
            raise found
        return found


def heartbeat(runner: Runner, supervisor: Supervisor | None = None) -> Heartbeat:
    counts = SimpleNamespace(conversations=SimpleNamespace(tally=NodeTally()))  # nothing counted
    core = cast(Core, SimpleNamespace(clock=ManualClock(), reception=counts, database=None))
    return Heartbeat(core, cast(TaskRunner, runner), supervisor or Supervisor())


async def test_one_tick_drains_back_to_back_while_tasks_are_due() -> None:
    runner = Runner([100, 100, 100, 7])
    beat = heartbeat(runner)
    await beat.tick()
    await beat.drained()
    assert runner.ticks == 5  # four batches, then one that found nothing


async def test_a_tick_during_a_drain_returns_at_once_and_the_drain_goes_on() -> None:
    runner = Runner([100, 100, 3])
    runner.gate.clear()
    beat = heartbeat(runner)
    await beat.tick()
    for _ in range(3):  # the scheduler's next ticks: none waits, none starts a second drain
        await asyncio.wait_for(beat.tick(), 0.1)
    runner.gate.set()
    await beat.drained()
    assert runner.ticks == 4 and runner.batches == []


async def test_a_failing_drain_backs_off_and_runs_again_after() -> None:
    now = [0.0]
    supervisor = Supervisor(first=5.0, monotonic=lambda: now[0])
    runner = Runner([100, OSError("database away"), 100, 0])
    beat = heartbeat(runner, supervisor)
    await beat.tick()
    await beat.drained()
    assert runner.ticks == 2 and supervisor.failing() == {TASKS_LOOP: "OSError"}
    await beat.tick()  # backing off: nothing runs
    await beat.drained()
    assert runner.ticks == 2
    now[0] = 5.0
    await beat.tick()
    await beat.drained()
    assert runner.ticks == 4 and supervisor.failing() == {}


async def test_stop_ends_a_drain_after_its_current_batch() -> None:
    runner = Runner([100] * 1000)
    runner.gate.clear()
    beat = heartbeat(runner)
    await beat.tick()
    stopping = asyncio.create_task(beat.stop())
    await asyncio.sleep(0)
    runner.gate.set()
    await asyncio.wait_for(stopping, 1)
    assert runner.ticks == 1
    await beat.tick()  # stopped: no new drain
    await beat.drained()
    assert runner.ticks == 1
