"""What the console's board and case page read: open cases with their offers, in one query each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cases import CASE, OFFER, OPEN_STATUSES
from storage.tables import CaseRow, OfferRow, PersonRow

PERSON = PersonRow.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OpenCase:
    """An open case as the board shows it: its facts and its VP's name. No sealed column is
    read, and nothing of the parent but the language their case is in."""

    id: int
    alias: str
    language: str
    topic: str | None
    urgent: bool
    status: str
    vp_id: int | None
    vp_name: str | None
    created_at: datetime
    accepted_at: datetime | None
    first_contact_at: datetime | None
    breached_at: datetime | None
    open_offers: int  # offers waiting for an answer


class CaseBoard:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open_cases(self) -> list[OpenCase]:
        """Every open case with its VP's name and its open offers, oldest first."""
        offers = (
            select(func.count())
            .select_from(OfferRow)
            .where(OFFER.case_id == CASE.id, OFFER.status == "open")
            .correlate(CaseRow)
            .scalar_subquery()
        )
        query = (
            select(
                CASE.id,
                CASE.alias,
                CASE.language,
                CASE.topic,
                CASE.urgent,
                CASE.status,
                CASE.vp_id,
                PERSON.name,
                CASE.created_at,
                CASE.accepted_at,
                CASE.first_contact_at,
                CASE.breached_at,
                offers,
            )
            .select_from(CaseRow)
            .outerjoin(PersonRow, PERSON.id == CASE.vp_id)
            .where(CASE.status.in_(OPEN_STATUSES))
            .order_by(CASE.created_at, CASE.id)
        )
        return [
            OpenCase(
                id=int(row[0]),
                alias=str(row[1]),
                language=str(row[2]),
                topic=row[3],
                urgent=bool(row[4]),
                status=str(row[5]),
                vp_id=row[6],
                vp_name=row[7],
                created_at=row[8],
                accepted_at=row[9],
                first_contact_at=row[10],
                breached_at=row[11],
                open_offers=int(row[12] or 0),
            )
            for row in (await self._session.execute(query)).all()
        ]
