"""Conversations and flow versions; erasing a parent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from storage.records import ConversationRecord
from storage.tables import (
    CaseEventRow,
    CaseMemberRow,
    CaseRow,
    ConversationRow,
    FlowVersionRow,
    HeldMessageRow,
    OfferRow,
    ParentBlockRow,
    RelayRow,
)


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, parent_id: int) -> ConversationRecord | None:
        row = await self._session.get(ConversationRow, parent_id)
        if row is None:
            return None
        return ConversationRecord(
            parent_id=row.parent_id,
            version=row.version,
            flow=row.flow,
            node=row.node,
            step=row.step,
            sealed_results=row.sealed_results,
            finished=row.finished,
        )

    async def purge_idle(self, cutoff: datetime) -> int:
        """Conversations nobody touched since `cutoff`, with messages held as long."""
        t = ConversationRow.__table__  # type: ignore[attr-defined]
        result = await self._session.execute(delete(t).where(t.c.updated_at < cutoff))
        held = HeldMessageRow.__table__  # type: ignore[attr-defined]
        await self._session.execute(delete(held).where(held.c.created_at < cutoff))
        return int(getattr(result, "rowcount", 0))

    async def save(self, record: ConversationRecord, now: datetime) -> None:
        row = await self._session.get(ConversationRow, record.parent_id)
        if row is None:
            row = ConversationRow(
                parent_id=record.parent_id,
                updated_at=now,
                version="",
                flow="",
                node="",
                sealed_results="",
            )
            self._session.add(row)
        row.version, row.flow, row.node = record.version, record.flow, record.node
        row.step, row.sealed_results, row.finished = (
            record.step,
            record.sealed_results,
            record.finished,
        )
        row.updated_at = now
        await self._session.flush()


class FlowVersions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, version: str) -> str | None:
        row = await self._session.get(FlowVersionRow, version)
        return row.snapshot if row else None

    async def known(self, version: str) -> bool:
        """Whether a version is stored, without reading its (large) snapshot."""
        column = FlowVersionRow.__table__.c.version  # type: ignore[attr-defined]
        found = await self._session.execute(select(column).where(column == version))
        return found.first() is not None

    async def remember(self, version: str, snapshot: str, now: datetime) -> None:
        """Store a version once; parents starting at once may all store it (one waits)."""
        table = FlowVersionRow.__table__  # type: ignore[attr-defined]
        dialect = self._session.bind.dialect.name if self._session.bind else "sqlite"
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table).values(version=version, snapshot=snapshot, created_at=now)
        await self._session.execute(statement.on_conflict_do_nothing(index_elements=["version"]))


async def erase_parent_rows(session: AsyncSession, parent_id: int) -> None:
    """Every row that belongs to one parent, in an order the foreign keys accept."""
    cases = select(CaseRow.__table__.c.id).where(  # type: ignore[attr-defined]
        CaseRow.__table__.c.parent_id == parent_id  # type: ignore[attr-defined]
    )
    tables = SQLModel.metadata.tables
    children = (OfferRow, CaseEventRow, CaseMemberRow, RelayRow, HeldMessageRow)
    for child in (tables[row.__tablename__] for row in children):
        await session.execute(delete(child).where(child.c.case_id.in_(cases)))
    owned = (ParentBlockRow, CaseRow, ConversationRow)
    for table in (tables[row.__tablename__] for row in owned):
        await session.execute(delete(table).where(table.c.parent_id == parent_id))
