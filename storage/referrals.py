"""Referrals and mediations (#17): a case passed on to a partner stays open while care
starts; the check-ins about it, and the VP's mediation when it stalls. Erased with the case
(storage.cases.CASE_CHILDREN); the anonymous figures per partner and week outlive it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.figures import add_up, week_of
from storage.records import Mediation, Referral
from storage.results import affected_rows
from storage.tables import MediationRow, PartnerFiguresRow, ReferralRow

REFERRAL = ReferralRow.__table__.c  # type: ignore[attr-defined]
MEDIATION = MediationRow.__table__.c  # type: ignore[attr-defined]
PARTNER_FIGURES: Table = PartnerFiguresRow.__table__  # type: ignore[attr-defined]
COUNTS = ("referrals", "reached", "helped", "stalled", "mediated")


def _referral(row: ReferralRow) -> Referral:
    assert row.id is not None
    return Referral(
        id=row.id,
        case_id=row.case_id,
        partner_id=row.partner_id,
        referred_at=row.referred_at,
        appointment_on=row.appointment_on,
        asked_at=row.asked_at,
        answered_at=row.answered_at,
        not_yet=row.not_yet,
        reached_at=row.reached_at,
        stalled_at=row.stalled_at,
        ended_at=row.ended_at,
    )


def _mediation(row: MediationRow) -> Mediation:
    assert row.id is not None
    return Mediation(
        id=row.id,
        case_id=row.case_id,
        referral_id=row.referral_id,
        reason=row.reason,
        opened_at=row.opened_at,
        steps=row.steps,
        closed_at=row.closed_at,
    )


class Referrals:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def refer(
        self, case_id: int, partner_id: str, appointment_on: date | None, now: datetime
    ) -> Referral:
        """A new referral; an earlier one of the case (to another partner) ends."""
        await self.end(case_id, now)
        row = ReferralRow(
            case_id=case_id, partner_id=partner_id, referred_at=now, appointment_on=appointment_on
        )
        self._session.add(row)
        await self._session.flush()
        await self.count(partner_id, "referrals", now)
        return _referral(row)

    async def current(self, case_id: int) -> Referral | None:
        """The case's referral that has not ended, if any."""
        row = (
            await self._session.execute(
                select(ReferralRow)
                .where(REFERRAL.case_id == case_id, REFERRAL.ended_at.is_(None))
                .order_by(REFERRAL.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        return _referral(row) if row is not None else None

    async def get(self, referral_id: int) -> Referral | None:
        row = await self._session.get(ReferralRow, referral_id)
        return _referral(row) if row is not None else None

    async def of_case(self, case_id: int) -> list[Referral]:
        rows = await self._session.execute(
            select(ReferralRow).where(REFERRAL.case_id == case_id).order_by(REFERRAL.id)
        )
        return [_referral(row) for row in rows.scalars()]

    async def set_appointment(self, referral_id: int, day: date | None) -> None:
        await self._update(referral_id, appointment_on=day)

    async def asked(self, referral_id: int, now: datetime) -> None:
        await self._update(referral_id, asked_at=now)

    async def answered(self, referral_id: int, now: datetime, not_yet: int) -> None:
        await self._update(referral_id, answered_at=now, not_yet=not_yet)

    async def reached(self, referral: Referral, now: datetime) -> None:
        """The parent got in touch with the partner: counted once per referral."""
        if await self._first(referral.id, REFERRAL.reached_at, now):
            await self.count(referral.partner_id, "reached", now)

    async def stalled(self, referral: Referral, now: datetime) -> None:
        if await self._first(referral.id, REFERRAL.stalled_at, now):
            await self.count(referral.partner_id, "stalled", now)

    async def end(self, case_id: int, now: datetime) -> list[Referral]:
        """The case's open referral ends (closed, or referred elsewhere); its open mediations
        close with it. Returns the referrals that ended."""
        ended = [r for r in await self.of_case(case_id) if r.ended_at is None]
        for referral in ended:
            await self._update(referral.id, ended_at=now)
        await self._session.execute(
            update(MediationRow)
            .where(MEDIATION.case_id == case_id, MEDIATION.closed_at.is_(None))
            .values(closed_at=now)
        )
        return ended

    async def open_mediation(self, referral: Referral, reason: str, now: datetime) -> Mediation:
        """The open mediation of the case, or a new one (counted as stalled)."""
        found = await self.mediation(referral.case_id)
        if found is not None:
            return found
        row = MediationRow(
            case_id=referral.case_id, referral_id=referral.id, reason=reason, opened_at=now
        )
        self._session.add(row)
        await self._session.flush()
        await self.stalled(referral, now)
        return _mediation(row)

    async def mediation(self, case_id: int) -> Mediation | None:
        """The case's open mediation, if any."""
        row = (
            await self._session.execute(
                select(MediationRow).where(
                    MEDIATION.case_id == case_id, MEDIATION.closed_at.is_(None)
                )
            )
        ).scalar_one_or_none()
        return _mediation(row) if row is not None else None

    async def mediating(self) -> set[int]:
        """Cases with an open mediation (the board shows them)."""
        rows = await self._session.execute(
            select(MEDIATION.case_id).where(MEDIATION.closed_at.is_(None))
        )
        return {int(case_id) for case_id in rows.scalars()}

    async def step(self, mediation: Mediation, partner_id: str, now: datetime) -> None:
        """A mediation step was recorded; the first makes the referral count as mediated."""
        await self._session.execute(
            update(MediationRow)
            .where(MEDIATION.id == mediation.id)
            .values(steps=MEDIATION.steps + 1)
        )
        if mediation.steps == 0:
            await self.count(partner_id, "mediated", now)

    async def close_mediation(self, mediation_id: int, now: datetime) -> bool:
        result = await self._session.execute(
            update(MediationRow)
            .where(MEDIATION.id == mediation_id, MEDIATION.closed_at.is_(None))
            .values(closed_at=now)
        )
        return affected_rows(result) == 1

    async def count(self, partner_id: str, what: str, now: datetime) -> None:
        """One more of `what` (COUNTS) for the partner, in this week."""
        assert what in COUNTS
        key = {"week": week_of(now), "partner_id": partner_id}
        await add_up(self._session, PARTNER_FIGURES, key, {what: 1})

    async def figures(self) -> list[dict[str, int | str]]:
        """Per partner and week: referrals, reached, helped, stalled, mediated."""
        rows = await self._session.execute(
            select(PARTNER_FIGURES).order_by(*PARTNER_FIGURES.primary_key)
        )
        return [dict(row._mapping) for row in rows]

    async def _first(self, referral_id: int, column: object, now: datetime) -> bool:
        result = await self._session.execute(
            update(ReferralRow)
            .where(REFERRAL.id == referral_id, column.is_(None))  # type: ignore[attr-defined]
            .values({column: now})
        )
        return affected_rows(result) == 1

    async def _update(self, referral_id: int, **values: object) -> None:
        await self._session.execute(
            update(ReferralRow).where(REFERRAL.id == referral_id).values(**values)
        )
