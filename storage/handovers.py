"""Handovers (#17): a VP hands a case to a named colleague with a sealed note; the colleague
accepts or declines. Erased with the case (storage.cases.CASE_CHILDREN)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import Handover
from storage.results import affected_rows
from storage.tables import HandoverRow

HANDOVER = HandoverRow.__table__.c  # type: ignore[attr-defined]


def _handover(row: HandoverRow) -> Handover:
    assert row.id is not None
    return Handover(
        id=row.id,
        case_id=row.case_id,
        from_id=row.from_id,
        to_id=row.to_id,
        sealed_note=row.sealed_note,
        status=row.status,
        created_at=row.created_at,
    )


class Handovers:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def draft(self, case_id: int, from_id: int, sealed_note: str, now: datetime) -> int:
        """The VP wrote the note; the colleague is chosen next."""
        row = HandoverRow(
            case_id=case_id,
            from_id=from_id,
            sealed_note=sealed_note,
            status="draft",
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        assert row.id is not None
        return row.id

    async def get(self, handover_id: int) -> Handover | None:
        row = await self._session.get(HandoverRow, handover_id)
        return _handover(row) if row is not None else None

    async def ask(self, handover_id: int, to_id: int) -> bool:
        """The colleague is chosen: asked, once."""
        result = await self._session.execute(
            update(HandoverRow)
            .where(HANDOVER.id == handover_id, HANDOVER.status == "draft")
            .values(to_id=to_id, status="asked")
        )
        return affected_rows(result) == 1

    async def answer(self, handover_id: int, status: str, now: datetime) -> bool:
        """accepted, declined or withdrawn: True when it was still asked (or a draft)."""
        result = await self._session.execute(
            update(HandoverRow)
            .where(HANDOVER.id == handover_id, HANDOVER.status.in_(("draft", "asked")))
            .values(status=status, answered_at=now)
        )
        return affected_rows(result) == 1
