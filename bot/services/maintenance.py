"""Daily upkeep, as a task so that it runs once a day however many instances there are:
the purges of the retention periods, and the anonymous count of where conversations stopped."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.coordinator_settings import SettingsFile
from bot.services.scheduling import TaskRegistry
from bot.services.turn import Turn
from storage import UnitOfWork
from storage.records import Task

log = logging.getLogger(__name__)

PURGE = "maintenance.purge"
# No input this long at a node of an unfinished conversation: the parent stopped there.
STOPPED_AFTER = timedelta(hours=24)


async def schedule_daily(uow: UnitOfWork, now: datetime, zone: ZoneInfo) -> None:
    """Called by every instance daily and at start; the key makes it once per local day."""
    day = now.astimezone(zone).date().isoformat()
    await uow.tasks.schedule(PURGE, now, now, idempotency_key=f"{PURGE}:{day}")


async def count_stopped(uow: UnitOfWork, now: datetime) -> int:
    """Conversations idle for STOPPED_AFTER at an unfinished node are counted, once each, as
    stopped there, in the week they got there; the counts name no parent. A parent who
    answers later moves on and can be counted again where they stop next."""
    idle = await uow.conversations.note_idle(now - STOPPED_AFTER)
    await uow.figures.nodes_stopped(idle)
    return len(idle)


def register_maintenance(registry: TaskRegistry, settings: SettingsFile) -> None:
    async def purge(turn: Turn, task: Task) -> None:
        retention = settings.current.retention
        updates = await turn.uow.updates.purge(turn.now - retention.processed_updates)
        sent = await turn.uow.outbox.purge_finished(turn.now - retention.sent_messages)
        tasks = await turn.uow.tasks.purge_finished(turn.now - retention.finished_tasks)
        # Closed cases are counted into the anonymous figures, then go, in one transaction.
        closed = await turn.uow.cases.closed_before(turn.now - retention.closed_cases)
        for case in closed:
            await turn.uow.figures.add_case(case)
        await turn.uow.cases.purge([case.id for case in closed])
        # Counted before idle conversations go, so none goes uncounted.
        stopped = await count_stopped(turn.uow, turn.now)
        idle = await turn.uow.conversations.purge_idle(turn.now - retention.idle_conversations)
        audit = await turn.uow.cases.purge_access(turn.now - retention.audit_log)
        audit += await turn.uow.console.purge_audit(turn.now - retention.audit_log)
        # Links, and sessions that ended or can no longer be used.
        await turn.uow.console.purge(
            turn.now - max(timedelta(days=1), settings.current.console.session_max)
        )
        log.info(
            "purged %s update ids, %s sent-message receipts, %s finished tasks, %s closed "
            "cases (counted), %s idle conversations, %s audit entries; counted %s "
            "conversations as stopped",
            updates,
            sent,
            tasks,
            len(closed),
            idle,
            audit,
            stopped,
        )

    registry.register(PURGE, purge)
