"""Scheduled tasks: due rows are claimed with a lease (SKIP LOCKED on PostgreSQL).

A task is finished in the same transaction as its effects, and only by its lease holder,
so its effects commit once even when a crashed instance's task is claimed again.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import Task
from storage.results import affected_rows
from storage.tables import ScheduledTask

PENDING, RUNNING, DONE, FAILED, CANCELLED = "pending", "running", "done", "failed", "cancelled"
ERROR_LENGTH = 300


class TaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def schedule(
        self,
        kind: str,
        due_at: datetime,
        now: datetime,
        *,
        subject: str | None = None,
        payload: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> int:
        """Add a task; with an idempotency key already used, return the existing task's id."""
        if idempotency_key is not None:
            existing = await self._by_key(idempotency_key)
            if existing is not None:
                return existing
        row = ScheduledTask(
            kind=kind,
            due_at=due_at,
            subject=subject,
            payload=json.dumps(payload or {}),
            status=PENDING,
            attempts=0,
            idempotency_key=idempotency_key,
            created_at=now,
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            # Another instance scheduled the same key at the same moment.
            found = await self._by_key(idempotency_key or "")
            if found is None:
                raise
            return found
        assert row.id is not None
        return row.id

    async def claim(self, now: datetime, owner: str, lease: timedelta, limit: int) -> list[Task]:
        """Lease due tasks, and running ones whose lease expired (their instance died), in
        due order."""
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        columns = (t.id, t.kind, t.due_at, t.subject, t.payload, t.attempts)
        # Two queries, each an ordered range of ix_task_due (status, due_at): an OR of the
        # two would sort every due task at each claim. By due time only, not id, for the
        # same reason (tasks due at the same instant come in the index's order).
        pending = (
            select(*columns)
            .where(t.status == PENDING, t.due_at <= now)
            .order_by(t.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        expired = (
            select(*columns)
            .where(t.status == RUNNING, t.due_at <= now, t.lease_until < now)
            .order_by(t.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        found = [*(await self._session.execute(pending)), *(await self._session.execute(expired))]
        rows = sorted(found, key=lambda row: (row.due_at, row.id))[:limit]
        if not rows:
            return []
        # One statement for the whole batch: the rows are locked (or, on SQLite, the
        # database is) since the select, so no other instance can lease them in between.
        await self._session.execute(
            update(ScheduledTask)
            .where(t.id.in_([row.id for row in rows]))
            .values(
                status=RUNNING,
                lease_until=now + lease,
                lease_owner=owner,
                attempts=t.attempts + 1,
            )
        )
        return [
            Task(
                id=row.id,
                kind=row.kind,
                due_at=row.due_at,
                subject=row.subject,
                payload=row.payload,
                attempts=row.attempts + 1,
            )
            for row in rows
        ]

    async def hold(self, task_id: int, owner: str) -> bool:
        """Lock our claimed task for this transaction; False if it is no longer ours."""
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        query = (
            select(t.id)
            .where(t.id == task_id, t.status == RUNNING, t.lease_owner == owner)
            .with_for_update()
        )
        return (await self._session.execute(query)).first() is not None

    async def hold_many(self, task_ids: list[int], owner: str) -> set[int]:
        """Lock those of our claimed tasks that are still ours, for this transaction."""
        if not task_ids:
            return set()
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        query = (
            select(t.id)
            .where(t.id.in_(task_ids), t.status == RUNNING, t.lease_owner == owner)
            .with_for_update()
        )
        return {int(found) for found in (await self._session.execute(query)).scalars()}

    async def finish(self, task_id: int, owner: str, now: datetime) -> None:
        await self._set(task_id, owner, status=DONE, finished_at=now, lease_until=None)

    async def finish_many(self, task_ids: list[int], owner: str, now: datetime) -> None:
        """Finish tasks held in this transaction, in one statement."""
        if not task_ids:
            return
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        await self._session.execute(
            update(ScheduledTask)
            .where(t.id.in_(task_ids), t.lease_owner == owner, t.status == RUNNING)
            .values(status=DONE, finished_at=now, lease_until=None)
        )

    async def retry(self, task_id: int, owner: str, due: datetime, error: str) -> None:
        await self._set(
            task_id,
            owner,
            status=PENDING,
            due_at=due,
            lease_until=None,
            lease_owner=None,
            last_error=error[:ERROR_LENGTH],
        )

    async def fail(self, task_id: int, owner: str, now: datetime, error: str) -> None:
        await self._set(
            task_id,
            owner,
            status=FAILED,
            finished_at=now,
            lease_until=None,
            last_error=error[:ERROR_LENGTH],
        )

    async def cancel_subject(self, subject: str, now: datetime) -> int:
        """Cancel everything still to come for one subject (a parent who stopped)."""
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        result = await self._session.execute(
            update(ScheduledTask)
            .where(t.subject == subject, t.status.in_([PENDING, RUNNING]))
            .values(status=CANCELLED, finished_at=now, lease_until=None, lease_owner=None)
        )
        return affected_rows(result)

    async def cancel(self, task_id: int, now: datetime) -> bool:
        """Cancel one task that has not run yet (it became pointless)."""
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        result = await self._session.execute(
            update(ScheduledTask)
            .where(t.id == task_id, t.status == PENDING)
            .values(status=CANCELLED, finished_at=now)
        )
        return affected_rows(result) == 1

    async def delete_subject(self, subject: str) -> int:
        """Erase every task of a subject, done or not (after /forget)."""
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        result = await self._session.execute(
            ScheduledTask.__table__.delete().where(t.subject == subject)  # type: ignore[attr-defined]
        )
        return affected_rows(result)

    async def purge_finished(self, before: datetime) -> int:
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        result = await self._session.execute(
            ScheduledTask.__table__.delete().where(  # type: ignore[attr-defined]
                t.status.in_([DONE, FAILED, CANCELLED]), t.finished_at < before
            )
        )
        return affected_rows(result)

    async def has_pending(self, kind: str, subject: str) -> bool:
        """Is a task of this kind for this subject still to run?"""
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        query = (
            select(t.id)
            .where(t.kind == kind, t.subject == subject, t.status.in_((PENDING, RUNNING)))
            .limit(1)
        )
        return (await self._session.execute(query)).first() is not None

    async def counts(self) -> dict[str, int]:
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        query = select(t.status, func.count()).group_by(t.status)
        return {status: int(n) for status, n in (await self._session.execute(query)).all()}

    async def oldest_due(self, now: datetime) -> datetime | None:
        """When the longest-waiting task that is due now and not claimed was due."""
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        query = select(func.min(t.due_at)).where(t.status == PENDING, t.due_at <= now)
        due: datetime | None = (await self._session.execute(query)).scalar_one()
        return due

    async def pending_of(self, kinds: tuple[str, ...]) -> list[tuple[int, datetime]]:
        """(id, due) of every task of these kinds still waiting to run."""
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        rows = await self._session.execute(
            select(t.id, t.due_at).where(t.kind.in_(kinds), t.status == PENDING).order_by(t.id)
        )
        return [(int(i), due) for i, due in rows.all()]

    async def pending_for_case(self, case_id: int, kinds: tuple[str, ...]) -> list[Task]:
        """Tasks of these kinds still to run about one case (payload {"case": id}), soonest
        first."""
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        rows = await self._session.execute(
            select(t.id, t.kind, t.due_at, t.subject, t.payload, t.attempts)
            .where(
                t.kind.in_(kinds),
                t.status == PENDING,
                t.payload.contains(f'"case": {case_id}'),  # narrows; json below decides
            )
            .order_by(t.due_at, t.id)
        )
        return [Task(*row) for row in rows.all() if json.loads(row.payload).get("case") == case_id]

    async def move(self, task_id: int, due_at: datetime) -> bool:
        """A waiting task comes due at another time; False if it is no longer waiting."""
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        result = await self._session.execute(
            update(ScheduledTask).where(t.id == task_id, t.status == PENDING).values(due_at=due_at)
        )
        return affected_rows(result) == 1

    async def _by_key(self, key: str) -> int | None:
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        found = await self._session.execute(select(t.id).where(t.idempotency_key == key))
        value = found.scalar_one_or_none()
        return int(value) if value is not None else None

    async def _set(self, task_id: int, owner: str, **values: object) -> None:
        t = ScheduledTask.__table__.c  # type: ignore[attr-defined]
        await self._session.execute(
            update(ScheduledTask)
            .where(t.id == task_id, t.lease_owner == owner, t.status == RUNNING)
            .values(**values)
        )
