"""Conversations and flow versions; erasing a parent."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from storage.cases import CASE_CHILDREN
from storage.records import ConversationRecord
from storage.tables import (
    CaseRow,
    ConversationRow,
    FlowVersionRow,
    HeldMessageRow,
    ParentBlockRow,
)

CONVERSATION = ConversationRow.__table__  # type: ignore[attr-defined]
CONVERSATION_COLUMNS = (
    CONVERSATION.c.parent_id,
    CONVERSATION.c.version,
    CONVERSATION.c.flow,
    CONVERSATION.c.node,
    CONVERSATION.c.step,
    CONVERSATION.c.sealed_results,
    CONVERSATION.c.finished,
)

GET_CONVERSATION = select(*CONVERSATION_COLUMNS).where(
    CONVERSATION.c.parent_id == bindparam("parent_id")
)


class ConversationRepository:
    """Core statements: a conversation is read and written on nearly every update, and
    read again by the next service in the same update, so this transaction keeps what it
    read or wrote (forgotten when conversations are deleted)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._read: dict[int, ConversationRecord | None] = {}

    async def get(self, parent_id: int) -> ConversationRecord | None:
        if parent_id in self._read:
            return self._read[parent_id]
        found = await self._session.execute(GET_CONVERSATION, {"parent_id": parent_id})
        row = found.mappings().first()
        record = self._read[parent_id] = ConversationRecord(**row) if row is not None else None
        return record

    def forget(self) -> None:
        """Conversations were deleted behind this repository's back (erasing a parent)."""
        self._read.clear()

    async def purge_idle(self, cutoff: datetime) -> int:
        """Conversations nobody touched since `cutoff`, with messages held as long."""
        self.forget()
        t = CONVERSATION
        result = await self._session.execute(delete(t).where(t.c.updated_at < cutoff))
        held = HeldMessageRow.__table__  # type: ignore[attr-defined]
        await self._session.execute(delete(held).where(held.c.created_at < cutoff))
        return int(getattr(result, "rowcount", 0))

    async def note_idle(self, cutoff: datetime) -> list[tuple[str, str, str, datetime]]:
        """Unfinished conversations untouched since `cutoff` and not counted yet: marked as
        counted, in the same statement, so each is counted once. Returns (version, flow,
        node, updated_at) of each, and nothing that names a parent."""
        t = CONVERSATION
        statement = (
            update(t)
            .where(t.c.finished.is_(False), t.c.idle_noted.is_(False), t.c.updated_at < cutoff)
            .values(idle_noted=True)
            .returning(t.c.version, t.c.flow, t.c.node, t.c.updated_at)
        )
        found = await self._session.execute(statement)
        return [(row.version, row.flow, row.node, row.updated_at) for row in found]

    async def save(self, record: ConversationRecord, now: datetime) -> None:
        """Insert or update in one statement (one conversation per parent)."""
        dialect = self._session.bind.dialect.name if self._session.bind else "sqlite"
        values = {
            "parent_id": record.parent_id,
            "version": record.version,
            "flow": record.flow,
            "node": record.node,
            "step": record.step,
            "sealed_results": record.sealed_results,
            "finished": record.finished,
            "updated_at": now,
            "idle_noted": False,  # at a (maybe new) node now: it can be counted as stopped again
        }
        await self._session.execute(_upsert(dialect), values)
        self._read[record.parent_id] = record


@functools.cache
def _upsert(dialect: str) -> Any:
    """Built once per dialect: the values come as parameters."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(CONVERSATION)
    changed = [c.name for c in CONVERSATION.c if c.name != "parent_id"]
    return statement.on_conflict_do_update(
        index_elements=["parent_id"], set_={name: statement.excluded[name] for name in changed}
    )


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
    for child in (tables[row.__tablename__] for row in CASE_CHILDREN):
        await session.execute(delete(child).where(child.c.case_id.in_(cases)))
    owned = (ParentBlockRow, CaseRow, ConversationRow)
    for table in (tables[row.__tablename__] for row in owned):
        await session.execute(delete(table).where(table.c.parent_id == parent_id))
