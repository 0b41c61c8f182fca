"""Conversations, flow versions and case requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import CaseRequest, ConversationRecord
from storage.tables import CaseRequestRow, ConversationRow, FlowVersionRow


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

    async def remember(self, version: str, snapshot: str, now: datetime) -> None:
        if await self._session.get(FlowVersionRow, version) is None:
            self._session.add(FlowVersionRow(version=version, snapshot=snapshot, created_at=now))
            await self._session.flush()


class CaseRequests:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        parent_id: int,
        topic: str | None,
        language: str,
        urgent: bool,
        sealed_answers: str,
        now: datetime,
    ) -> int:
        row = CaseRequestRow(
            parent_id=parent_id,
            topic=topic,
            language=language,
            urgent=urgent,
            sealed_answers=sealed_answers,
            status="requested",
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        assert row.id is not None
        return row.id

    async def of_parent(self, parent_id: int) -> list[CaseRequest]:
        rows = await self._session.execute(
            select(CaseRequestRow).where(CaseRequestRow.parent_id == parent_id)  # type: ignore[arg-type]
        )
        return [
            CaseRequest(
                id=r.id or 0,
                parent_id=r.parent_id,
                topic=r.topic,
                language=r.language,
                urgent=r.urgent,
                sealed_answers=r.sealed_answers,
                status=r.status,
                created_at=r.created_at,
            )
            for r in rows.scalars()
        ]


async def erase_parent_rows(session: AsyncSession, parent_id: int) -> None:
    """Every row that belongs to one parent, in an order the foreign keys accept."""
    for table in (CaseRequestRow.__table__, ConversationRow.__table__):  # type: ignore[attr-defined]
        await session.execute(delete(table).where(table.c.parent_id == parent_id))
