"""APScheduler (3.x) drives the task tick every second and the daily jobs, in every instance."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.runtime import Core
from bot.services.maintenance import schedule_daily
from bot.services.node_tally import FLUSH_EVERY
from bot.services.scheduling import TaskRunner
from bot.supervision import Supervisor

log = logging.getLogger(__name__)

DAILY_AT = {"hour": 3, "minute": 30}  # local time: the quietest hour
TASKS_LOOP, WATCH_LOOP, DAILY_LOOP = "tasks", "file watchers", "daily upkeep"
TALLY_LOOP = "node figures"


class Heartbeat:
    """The jobs APScheduler calls; each reads the injected clock."""

    def __init__(self, core: Core, runner: TaskRunner, supervisor: Supervisor) -> None:
        self._core = core
        self._runner = runner
        self._supervisor = supervisor
        self._drain: asyncio.Task[None] | None = None
        self._stopping = False
        # The scheduled jobs under way (watch, node figures, daily): stop() waits for them,
        # so none is cut off halfway through a transaction on a database being closed.
        self._jobs: set[asyncio.Task[object]] = set()

    async def tick(self) -> None:
        """Start draining the due tasks, unless a drain is under way: then it just goes on.

        The drain runs beside the scheduler's job, so the job never overlaps itself and no
        tick is skipped; a failing drain (the database is away) backs off, never stops."""
        if not self._stopping and (self._drain is None or self._drain.done()):
            self._drain = asyncio.create_task(
                self._supervisor.guarded(TASKS_LOOP, self._run_due_tasks)
            )

    async def drained(self) -> None:
        """Wait for the drain under way, if any."""
        if self._drain is not None:
            await asyncio.shield(self._drain)

    async def stop(self) -> None:
        """No new drain or job; those under way end first. The counts go out."""
        self._stopping = True
        await self.drained()
        for job in list(self._jobs):
            await asyncio.shield(job)
        await self.count_nodes()

    async def _job(self, run: Callable[[], Awaitable[None]]) -> None:
        """A scheduled job, unless stopping; stop() waits for it."""
        task = asyncio.current_task()
        if self._stopping or task is None:
            return
        self._jobs.add(task)
        try:
            await run()
        finally:
            self._jobs.discard(task)

    async def watch(self) -> None:
        """The coordinator's files and published versions: an edit goes live without a
        restart, in every instance."""
        await self._job(lambda: self._supervisor.guarded(WATCH_LOOP, self._reload_changed_files))

    async def _run_due_tasks(self) -> None:
        # While tasks are due the next batch is claimed at once, not a tick later (each
        # batch awaits the database, so updates and sends run in between).
        while not self._stopping and await self._runner.tick(self._core.clock.now()) > 0:
            pass

    async def _reload_changed_files(self) -> None:
        # In a worker thread: parsing a coordinator's file never blocks the event loop.
        # The settings: an edited file is published; a version published anywhere is taken.
        await self._core.published_settings.follow()
        await self._core.published_catalogs.follow()
        await self._core.published_flows.follow()

    async def count_nodes(self) -> None:
        """The drop-off counts gathered in memory go to the database (also when stopping)."""
        tally = self._core.reception.conversations.tally
        await self._supervisor.guarded(TALLY_LOOP, lambda: tally.flush(self._core.database))

    async def daily(self) -> None:
        async with self._core.database.transaction() as uow:
            await schedule_daily(uow, self._core.clock.now(), self._core.settings.timezone)

    async def _daily(self) -> None:
        await self._job(lambda: self._supervisor.guarded(DAILY_LOOP, self.daily))

    async def _count_nodes_job(self) -> None:
        await self._job(self.count_nodes)

    def scheduler(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(timezone=self._core.settings.timezone)
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}
        scheduler.add_job(self.tick, IntervalTrigger(seconds=1), id="tick", **common)
        scheduler.add_job(self.watch, IntervalTrigger(seconds=1), id="watch", **common)
        scheduler.add_job(self._daily, CronTrigger(**DAILY_AT), id="daily", **common)
        every = IntervalTrigger(seconds=FLUSH_EVERY.total_seconds())
        scheduler.add_job(self._count_nodes_job, every, id="node figures", **common)
        return scheduler
