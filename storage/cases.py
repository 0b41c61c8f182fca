"""Cases, their offers and their history."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import Case
from storage.results import affected_rows
from storage.tables import CaseEventRow, CaseRow, OfferRow

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: an alias read aloud or retyped stays unambiguous.
ALIAS_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
ALIAS_LENGTH = 4
OPEN_STATUSES = ("waiting", "offered", "accepted", "in_contact")
CASE = CaseRow.__table__.c  # type: ignore[attr-defined]
OFFER = OfferRow.__table__.c  # type: ignore[attr-defined]
EVENT = CaseEventRow.__table__.c  # type: ignore[attr-defined]


def _case(row: CaseRow) -> Case:
    assert row.id is not None
    return Case(
        id=row.id,
        alias=row.alias,
        parent_id=row.parent_id,
        topic=row.topic,
        language=row.language,
        urgent=row.urgent,
        gender_pref=row.gender_pref,
        sealed_answers=row.sealed_answers,
        status=row.status,
        vp_id=row.vp_id,
        created_at=row.created_at,
    )


class Cases:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open(
        self,
        *,
        parent_id: int,
        topic: str | None,
        language: str,
        urgent: bool,
        gender_pref: str,
        sealed_answers: str,
        now: datetime,
    ) -> Case:
        """A new waiting case with a fresh short alias."""
        for _ in range(20):
            alias = "".join(secrets.choice(ALIAS_ALPHABET) for _ in range(ALIAS_LENGTH))
            row = CaseRow(
                alias=alias,
                parent_id=parent_id,
                topic=topic,
                language=language,
                urgent=urgent,
                gender_pref=gender_pref,
                sealed_answers=sealed_answers,
                status="waiting",
                created_at=now,
                updated_at=now,
            )
            try:
                async with self._session.begin_nested():
                    self._session.add(row)
            except IntegrityError:
                continue  # the alias was taken: draw again
            return _case(row)
        raise RuntimeError("no free case alias after 20 tries")

    async def of_parent(self, parent_id: int) -> list[Case]:
        rows = await self._session.execute(select(CaseRow).where(CASE.parent_id == parent_id))
        return [_case(row) for row in rows.scalars()]

    async def open_count(self, parent_id: int) -> int:
        query = (
            select(func.count())
            .select_from(CaseRow)
            .where(CASE.parent_id == parent_id, CASE.status.in_(OPEN_STATUSES))
        )
        return int((await self._session.execute(query)).scalar_one())

    async def load_per_vp(self) -> dict[int, int]:
        """Open cases per VP: routing ranks by it and never goes past capacity."""
        query = (
            select(CASE.vp_id, func.count())
            .where(CASE.vp_id.is_not(None), CASE.status.in_(OPEN_STATUSES))
            .group_by(CASE.vp_id)
        )
        return {int(vp): int(n) for vp, n in (await self._session.execute(query)).all()}

    async def set_status(self, case_id: int, status: str, now: datetime) -> None:
        await self._session.execute(
            update(CaseRow).where(CASE.id == case_id).values(status=status, updated_at=now)
        )

    async def offer(self, case_id: int, person_id: int, now: datetime) -> int:
        row = OfferRow(case_id=case_id, person_id=person_id, status="open", created_at=now)
        self._session.add(row)
        await self._session.flush()
        assert row.id is not None
        return row.id

    async def offered_to(self, case_id: int) -> set[int]:
        rows = await self._session.execute(select(OFFER.person_id).where(OFFER.case_id == case_id))
        return {int(person) for person in rows.scalars()}

    async def answer_offer(self, offer_id: int, status: str, now: datetime) -> bool:
        """Close an open offer; False when it was no longer open (someone was first)."""
        result = await self._session.execute(
            update(OfferRow)
            .where(OFFER.id == offer_id, OFFER.status == "open")
            .values(status=status, answered_at=now)
        )
        return affected_rows(result) == 1

    async def note(self, case_id: int, kind: str, detail: str, now: datetime) -> None:
        """One line of the case's history; details name VPs by id, parents never."""
        self._session.add(CaseEventRow(case_id=case_id, at=now, kind=kind, detail=detail[:500]))
        await self._session.flush()

    async def history(self, case_id: int) -> list[tuple[str, str]]:
        rows = await self._session.execute(
            select(EVENT.kind, EVENT.detail).where(EVENT.case_id == case_id).order_by(EVENT.id)
        )
        return [(kind, detail) for kind, detail in rows.all()]

    async def get(self, case_id: int) -> Case | None:
        row = await self._session.get(CaseRow, case_id)
        return _case(row) if row else None

    async def get_offer(self, offer_id: int) -> tuple[int, int, str] | None:
        """(case id, person id, status) of an offer."""
        row = await self._session.get(OfferRow, offer_id)
        return (row.case_id, row.person_id, row.status) if row else None

    async def assign(self, case_id: int, vp_id: int, now: datetime) -> bool:
        """The accepting VP takes the case; False when it was no longer on offer."""
        result = await self._session.execute(
            update(CaseRow)
            .where(CASE.id == case_id, CASE.status == "offered")
            .values(status="accepted", vp_id=vp_id, updated_at=now)
        )
        return affected_rows(result) == 1

    async def offers_of(self, case_id: int) -> list[tuple[int, int, str]]:
        """(offer id, person id, status) of every offer of a case, oldest first."""
        rows = await self._session.execute(
            select(OFFER.id, OFFER.person_id, OFFER.status)
            .where(OFFER.case_id == case_id)
            .order_by(OFFER.id)
        )
        return [(int(o), int(p), str(s)) for o, p, s in rows.all()]

    async def set_offer_status(self, offer_id: int, status: str) -> None:
        await self._session.execute(
            update(OfferRow).where(OFFER.id == offer_id).values(status=status)
        )

    async def of_vp(self, vp_id: int) -> list[Case]:
        """A VP's open cases, oldest first."""
        rows = await self._session.execute(
            select(CaseRow)
            .where(CASE.vp_id == vp_id, CASE.status.in_(OPEN_STATUSES))
            .order_by(CASE.id)
        )
        return [_case(row) for row in rows.scalars()]
