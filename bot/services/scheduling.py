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
MAX_BATCH_FAILURES = 3  # failing tasks in one batch before the rest run one by one
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


class TaskFailed(Exception):
    """A task of a batch raised: the batch's transaction is rolled back."""

    def __init__(self, task: Task, kind: TaskKind, error: Exception) -> None:
        super().__init__(task.id)
        self.task, self.kind, self.error = task, kind, error


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
        """Claim a batch of the tasks due at `now` (and expired leases) and run them;
        returns how many were claimed."""
        async with self._database.transaction() as uow:
            tasks = await uow.tasks.claim(now, self._owner, self._lease, self._batch)
        batch, failures = tasks, 0
        while batch and failures < MAX_BATCH_FAILURES:
            try:
                batch = await self._run_batch(batch, now)
                break
            except TaskFailed as failed:
                # Nothing of the batch committed: the failing task is noted on its own and
                # the others run again without it (their effects still commit once).
                failures += 1
                await self._failed(failed.task, failed.kind, now, failed.error)
                batch = [task for task in batch if task.id != failed.task.id]
            except Exception as error:
                # The batch's transaction failed as a whole (a deadlock, a lost connection).
                log.warning("a task batch failed (%s)", type(error).__name__)
                break
        for task in batch:  # busy subjects, or after a failed batch: one by one
            await self._run(task, now)
        return len(tasks)

    async def _run_batch(self, tasks: list[Task], now: datetime) -> list[Task]:
        """Run the tasks in one transaction and finish them there: effects and finishing
        commit together. Returns the tasks left to run alone (their subject is busy now)."""
        subjects = {task.subject for task in tasks if task.subject is not None}
        async with self._database.transaction_holding(subjects) as (uow, held):
            ready = [t for t in tasks if t.subject is None or t.subject in held]
            ours = await uow.tasks.hold_many([t.id for t in ready], self._owner)
            done: list[int] = []
            for task in ready:
                if task.id not in ours:
                    log.info("task %s: lease lost to another instance", task.id)
                    continue
                kind = self._registry.get(task.kind)
                if kind is None:
                    await uow.tasks.fail(task.id, self._owner, now, f"no task kind {task.kind!r}")
                    log.error("task %s: unknown kind %s", task.id, task.kind)
                    continue
                uow.outbox.sender = None  # a task before it may have set whose messages these are
                turn = Turn(uow=uow, now=now, source=f"task:{task.id}")
                try:
                    await kind.run(turn, task)
                except Exception as error:
                    raise TaskFailed(task, kind, error) from error
                await self._outbox.stage(uow, turn)
                done.append(task.id)
            await uow.tasks.finish_many(done, self._owner, now)
        if done:
            self._committed()
        return [t for t in tasks if t.subject is not None and t.subject not in held]

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
