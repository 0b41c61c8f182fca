"""Repositories: the only code that builds queries. They return plain records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import Parent
from storage.results import affected_rows
from storage.tables import BotFact, ParentRow, ProcessedUpdate, SetAsideUpdate


def _parent(row: ParentRow) -> Parent:
    assert row.id is not None
    return Parent(
        id=row.id,
        channel=row.channel,
        subject_hash=row.subject_hash,
        sealed_chat=row.sealed_chat,
        language=row.language,
        stopped_at=row.stopped_at,
        created_at=row.created_at,
    )


class ParentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def find(self, subject_hash: str) -> Parent | None:
        row = await self._row(subject_hash)
        return _parent(row) if row else None

    async def get_or_create(
        self, channel: str, subject_hash: str, sealed_chat: str | None, now: datetime
    ) -> Parent:
        row = await self._row(subject_hash)
        if row is None:
            row = ParentRow(
                channel=channel,
                subject_hash=subject_hash,
                sealed_chat=sealed_chat,
                created_at=now,
                updated_at=now,
            )
            self._session.add(row)
            await self._session.flush()
        return _parent(row)

    async def set_language(self, parent_id: int, language: str, now: datetime) -> None:
        row = await self._session.get(ParentRow, parent_id)
        if row is None:
            raise LookupError(f"parent {parent_id} does not exist")
        row.language = language
        row.updated_at = now
        await self._session.flush()

    async def mark_stopped(self, subject_hash: str, now: datetime) -> bool:
        """The parent stopped or blocked the bot; False if no such parent."""
        result = await self._session.execute(
            update(ParentRow)
            .where(ParentRow.subject_hash == subject_hash)  # type: ignore[arg-type]
            .values(stopped_at=now, updated_at=now)
        )
        return affected_rows(result) > 0

    async def get(self, parent_id: int) -> Parent | None:
        row = await self._session.get(ParentRow, parent_id)
        return _parent(row) if row else None

    async def resume(self, parent_id: int, now: datetime) -> None:
        """The parent wrote again after stopping."""
        row = await self._session.get(ParentRow, parent_id)
        if row is not None and row.stopped_at is not None:
            row.stopped_at, row.updated_at = None, now
            await self._session.flush()

    async def delete(self, parent_id: int) -> None:
        row = await self._session.get(ParentRow, parent_id)
        if row is not None:
            await self._session.delete(row)
            await self._session.flush()

    async def any_sealed_chat(self) -> str | None:
        """One parent's sealed chat id, to tell whether the current key can open it."""
        column = ParentRow.__table__.c.sealed_chat  # type: ignore[attr-defined]
        found = await self._session.execute(select(column).where(column.is_not(None)).limit(1))
        return found.scalar_one_or_none()

    async def _row(self, subject_hash: str) -> ParentRow | None:
        result = await self._session.execute(
            select(ParentRow).where(ParentRow.subject_hash == subject_hash)  # type: ignore[arg-type]
        )
        return result.scalar_one_or_none()


class UpdateLog:
    """Which Telegram update ids have been committed."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def seen(self, update_id: int) -> bool:
        return await self._session.get(ProcessedUpdate, update_id) is not None

    async def record(self, update_id: int, now: datetime) -> None:
        self._session.add(ProcessedUpdate(update_id=update_id, processed_at=now))
        await self._session.flush()

    async def set_aside(
        self, update_id: int, kind: str, error: str, attempts: int, now: datetime
    ) -> bool:
        """Give up on an update: noted without content, and never handled again.

        False when it was set aside or processed before (a redelivery)."""
        if await self.seen(update_id):
            return False
        self._session.add(
            SetAsideUpdate(
                update_id=update_id,
                kind=kind[:32],
                error=error[:64],
                attempts=attempts,
                set_aside_at=now,
            )
        )
        await self.record(update_id, now)
        return True

    async def set_aside_since(self, since: datetime) -> list[tuple[int, str, str, int]]:
        """(update id, type, error class, attempts) of the updates set aside since then."""
        result = await self._session.execute(
            select(SetAsideUpdate)
            .where(SetAsideUpdate.set_aside_at >= since)  # type: ignore[arg-type]
            .order_by(SetAsideUpdate.set_aside_at)  # type: ignore[arg-type]
        )
        return [(r.update_id, r.kind, r.error, r.attempts) for r in result.scalars()]

    async def purge(self, before: datetime) -> int:
        """Telegram redelivers for at most a day; older ids need not be kept."""
        result = await self._session.execute(
            ProcessedUpdate.__table__.delete().where(  # type: ignore[attr-defined]
                ProcessedUpdate.processed_at < before
            )
        )
        return affected_rows(result)


class BotFacts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, key: str) -> str | None:
        row = await self._session.get(BotFact, key)
        return row.value if row else None

    async def put(self, key: str, value: str, now: datetime) -> None:
        """Insert or update; two instances starting at once may both insert (one waits)."""
        table = BotFact.__table__  # type: ignore[attr-defined]
        dialect = self._session.bind.dialect.name if self._session.bind else "sqlite"
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table).values(key=key, value=value, updated_at=now)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["key"], set_={"value": value, "updated_at": now}
            )
        )

    async def put_new(self, key: str, value: str, now: datetime) -> str:
        """Insert unless the key is there; returns the value that is stored (first one wins)."""
        table = BotFact.__table__  # type: ignore[attr-defined]
        dialect = self._session.bind.dialect.name if self._session.bind else "sqlite"
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table).values(key=key, value=value, updated_at=now)
        await self._session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
        found = await self._session.execute(select(table.c.value).where(table.c.key == key))
        return str(found.scalar_one())

    async def delete(self, key: str) -> None:
        table = BotFact.__table__  # type: ignore[attr-defined]
        await self._session.execute(table.delete().where(table.c.key == key))
