"""Scheduled tasks: a registry of task kinds and `tick(now)`, which claims and runs due ones.

Each task runs in its own transaction together with its effects and its outgoing messages,
and is finished there only if this instance still holds its lease: effects commit once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.services.outbox import Outbox
from bot.services.turn import Turn
from storage import Database
from storage.records import Task

log = logging.getLogger(__name__)

TaskHandler = Callable[[Turn, Task], Awaitable[None]]
LEASE = timedelta(minutes=5)
BATCH = 100
MAX_RETRY_DELAY = timedelta(hours=1)


@dataclass(frozen=True)
class TaskKind:
    name: str
    run: TaskHandler
    max_attempts: int = 5


class TaskRegistry:
    """Task kinds by name; later capabilities add theirs (follow-ups, time-outs, purges)."""

    def __init__(self) -> None:
        self._kinds: dict[str, TaskKind] = {}

    def register(self, name: str, run: TaskHandler, max_attempts: int = 5) -> None:
        if name in self._kinds:
            raise ValueError(f"task kind {name!r} is registered twice")
        self._kinds[name] = TaskKind(name, run, max_attempts)

    def get(self, name: str) -> TaskKind | None:
        return self._kinds.get(name)

    def names(self) -> list[str]:
        return sorted(self._kinds)


class TaskRunner:
    def __init__(
        self,
        database: Database,
        registry: TaskRegistry,
        outbox: Outbox,
        *,
        owner: str,
        committed: Callable[[], None] = lambda: None,
        lease: timedelta = LEASE,
        batch: int = BATCH,
    ) -> None:
        self._database = database
        self._registry = registry
        self._outbox = outbox
        self._owner = owner
        self._committed = committed
        self._lease = lease
        self._batch = batch

    async def tick(self, now: datetime) -> int:
        """Claim the tasks due at `now` (and expired leases) and run them; returns how many."""
        async with self._database.transaction() as uow:
            tasks = await uow.tasks.claim(now, self._owner, self._lease, self._batch)
        for task in tasks:
            await self._run(task, now)
        return len(tasks)

    async def _run(self, task: Task, now: datetime) -> None:
        kind = self._registry.get(task.kind)
        if kind is None:
            async with self._database.transaction() as uow:
                await uow.tasks.fail(task.id, self._owner, now, f"no task kind {task.kind!r}")
            log.error("task %s: unknown kind %s", task.id, task.kind)
            return
        try:
            async with self._database.transaction(lock=task.subject) as uow:
                if not await uow.tasks.hold(task.id, self._owner):
                    log.info("task %s: lease lost to another instance", task.id)
                    return
                turn = Turn(uow=uow, now=now, source=f"task:{task.id}")
                await kind.run(turn, task)
                await self._outbox.stage(uow, turn)
                await uow.tasks.finish(task.id, self._owner, now)
        except Exception as error:
            await self._failed(task, kind, now, error)
            return
        self._committed()

    async def _failed(self, task: Task, kind: TaskKind, now: datetime, error: Exception) -> None:
        reason = type(error).__name__  # never the message: it may hold a parent's words
        log.warning(
            "task %s (%s) failed: %s, attempt %s",
            task.id,
            kind.name,
            reason,
            task.attempts,
            exc_info=error,
        )
        async with self._database.transaction() as uow:
            if task.attempts >= kind.max_attempts:
                await uow.tasks.fail(task.id, self._owner, now, reason)
            else:
                delay = min(timedelta(seconds=30) * 2 ** (task.attempts - 1), MAX_RETRY_DELAY)
                await uow.tasks.retry(task.id, self._owner, now + delay, reason)
