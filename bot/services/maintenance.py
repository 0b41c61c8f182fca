"""Daily upkeep, as a task so that it runs once a day however many instances there are."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services.coordinator_settings import SettingsFile
from bot.services.scheduling import TaskRegistry
from bot.services.turn import Turn
from storage import UnitOfWork
from storage.records import Task

log = logging.getLogger(__name__)

PURGE = "maintenance.purge"


async def schedule_daily(uow: UnitOfWork, now: datetime, zone: ZoneInfo) -> None:
    """Called by every instance daily and at start; the key makes it once per local day."""
    day = now.astimezone(zone).date().isoformat()
    await uow.tasks.schedule(PURGE, now, now, idempotency_key=f"{PURGE}:{day}")


def register_maintenance(registry: TaskRegistry, settings: SettingsFile) -> None:
    async def purge(turn: Turn, task: Task) -> None:
        retention = settings.current.retention
        updates = await turn.uow.updates.purge(turn.now - retention.processed_updates)
        sent = await turn.uow.outbox.purge_finished(turn.now - retention.sent_messages)
        tasks = await turn.uow.tasks.purge_finished(turn.now - retention.finished_tasks)
        log.info(
            "purged %s update ids, %s sent-message receipts, %s finished tasks",
            updates,
            sent,
            tasks,
        )

    registry.register(PURGE, purge)
