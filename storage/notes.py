"""Case notes: what the VPs on a case write down for each other, sealed; erased with the
case (Cases.purge, erase_parent_rows)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import CaseNote
from storage.tables import CaseNoteRow

NOTE = CaseNoteRow.__table__.c  # type: ignore[attr-defined]


class CaseNotes:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, case_id: int, person_id: int, sealed_text: str, now: datetime, kind: str = "note"
    ) -> None:
        """`kind`: "note", or "step" for a mediation step and its result."""
        self._session.add(
            CaseNoteRow(
                case_id=case_id,
                person_id=person_id,
                sealed_text=sealed_text,
                written_at=now,
                kind=kind,
            )
        )
        await self._session.flush()

    async def of_case(self, case_id: int) -> list[CaseNote]:
        """Oldest first."""
        rows = await self._session.execute(
            select(
                NOTE.id, NOTE.case_id, NOTE.person_id, NOTE.sealed_text, NOTE.written_at, NOTE.kind
            )
            .where(NOTE.case_id == case_id)
            .order_by(NOTE.id)
        )
        return [CaseNote(*row) for row in rows.all()]

    async def count(self, case_id: int) -> int:
        """What coordinators may know of a case's notes: how many there are."""
        query = select(func.count()).select_from(CaseNoteRow).where(NOTE.case_id == case_id)
        return int((await self._session.execute(query)).scalar_one())
