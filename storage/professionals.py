"""Professionals of partner organisations on a case (#17, duo-coaching): proposed by the VP,
joined on the parent's yes (and made a case member then), ended by the parent, the VP or the
case closing. Erased with the case (storage.cases.CASE_CHILDREN)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import CaseProfessional
from storage.results import affected_rows
from storage.tables import CaseProfessionalRow

DUO = CaseProfessionalRow.__table__.c  # type: ignore[attr-defined]


def _duo(row: CaseProfessionalRow) -> CaseProfessional:
    assert row.id is not None
    return CaseProfessional(
        id=row.id,
        case_id=row.case_id,
        person_id=row.person_id,
        proposed_by=row.proposed_by,
        asked_at=row.asked_at,
        joined_at=row.joined_at,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
    )


class CaseProfessionals:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def propose(
        self, case_id: int, person_id: int, proposed_by: int, now: datetime
    ) -> CaseProfessional:
        row = CaseProfessionalRow(
            case_id=case_id, person_id=person_id, proposed_by=proposed_by, asked_at=now
        )
        self._session.add(row)
        await self._session.flush()
        return _duo(row)

    async def get(self, duo_id: int) -> CaseProfessional | None:
        row = await self._session.get(CaseProfessionalRow, duo_id)
        return _duo(row) if row is not None else None

    async def join(self, duo_id: int, now: datetime) -> bool:
        """The parent said yes to a proposal still open: True once."""
        result = await self._session.execute(
            update(CaseProfessionalRow)
            .where(DUO.id == duo_id, DUO.joined_at.is_(None), DUO.ended_at.is_(None))
            .values(joined_at=now)
        )
        return affected_rows(result) == 1

    async def end(self, duo_id: int, by: str, now: datetime) -> bool:
        """Refused, or ended: True when it was still open."""
        result = await self._session.execute(
            update(CaseProfessionalRow)
            .where(DUO.id == duo_id, DUO.ended_at.is_(None))
            .values(ended_at=now, ended_by=by)
        )
        return affected_rows(result) == 1

    async def of_person(self, person_id: int) -> list[CaseProfessional]:
        """A professional's proposals and duos not ended."""
        rows = await self._session.execute(
            select(CaseProfessionalRow).where(DUO.person_id == person_id, DUO.ended_at.is_(None))
        )
        return [_duo(row) for row in rows.scalars()]

    async def of_case(self, case_id: int) -> list[CaseProfessional]:
        """The case's professionals not ended: asked or joined, oldest first."""
        rows = await self._session.execute(
            select(CaseProfessionalRow)
            .where(DUO.case_id == case_id, DUO.ended_at.is_(None))
            .order_by(DUO.id)
        )
        return [_duo(row) for row in rows.scalars()]
