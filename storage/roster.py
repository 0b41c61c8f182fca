"""What the console's people pages read and change: VPs and coordinators with their load
and pace, and pending invitations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.people import _person as person_of
from storage.records import Person
from storage.results import affected_rows
from storage.tables import CaseAccessRow, ConsoleSessionRow, InviteRow, OfferRow, PersonRow

INVITE = InviteRow.__table__.c  # type: ignore[attr-defined]
OFFER = OfferRow.__table__.c  # type: ignore[attr-defined]
ACCESS = CaseAccessRow.__table__.c  # type: ignore[attr-defined]
SESSION = ConsoleSessionRow.__table__.c  # type: ignore[attr-defined]
PERSON = PersonRow.__table__.c  # type: ignore[attr-defined]
# What a VP does with an offer themselves (expired and withdrawn happen to them).
ANSWERED = ("accepted", "declined")


@dataclass(frozen=True)
class PendingInvite:
    """An invitation not used yet and not expired: who it is for, never its code."""

    id: int
    role: str
    name: str
    languages: tuple[str, ...]
    gender: str
    topics: tuple[str, ...]
    capacity: int
    expires_at: datetime
    created_at: datetime


class Roster:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def accept_times(self, since: datetime) -> list[tuple[int, datetime, datetime]]:
        """(VP, offered at, accepted at) of every offer accepted since `since`."""
        rows = await self._session.execute(
            select(OFFER.person_id, OFFER.created_at, OFFER.answered_at).where(
                OFFER.status == "accepted",
                OFFER.answered_at.is_not(None),
                OFFER.answered_at >= since,
            )
        )
        return [(int(person), offered, answered) for person, offered, answered in rows.all()]

    async def last_active(self) -> dict[int, datetime]:
        """Per person, the latest thing they did themselves: answered an offer, read or
        wrote a case (case_access), or used a console page."""
        latest: dict[int, datetime] = {}
        queries = (
            select(OFFER.person_id, func.max(OFFER.answered_at))
            .where(OFFER.status.in_(ANSWERED))
            .group_by(OFFER.person_id),
            select(ACCESS.person_id, func.max(ACCESS.at)).group_by(ACCESS.person_id),
            select(SESSION.person_id, func.max(SESSION.seen_at)).group_by(SESSION.person_id),
        )
        for query in queries:
            for person, at in (await self._session.execute(query)).all():
                key = int(person)
                if at is not None and (key not in latest or at > latest[key]):
                    latest[key] = at
        return latest

    async def staff(self, role: str) -> list[Person]:
        """Everyone of a role, active or not, by number."""
        rows = await self._session.execute(
            select(PersonRow).where(PERSON.role == role).order_by(PERSON.id)
        )
        return [person_of(row) for row in rows.scalars()]

    async def pending_invites(self, now: datetime) -> list[PendingInvite]:
        """Invitations that still work, the soonest to expire first."""
        rows = await self._session.execute(
            select(InviteRow)
            .where(INVITE.used_at.is_(None), INVITE.expires_at > now)
            .order_by(INVITE.expires_at, INVITE.id)
        )
        return [_pending(row) for row in rows.scalars()]

    async def newest_invite(self, role: str, name: str, created_at: datetime) -> int | None:
        """The id of the invitation just made (Staff.invite returns its code, not its id)."""
        found = await self._session.execute(
            select(func.max(INVITE.id)).where(
                INVITE.role == role, INVITE.name == name, INVITE.created_at == created_at
            )
        )
        newest = found.scalar_one_or_none()
        return int(newest) if newest is not None else None

    async def revoke_invite(self, invite_id: int, now: datetime) -> bool:
        """The invitation expires now; False when it was used or had expired already."""
        result = await self._session.execute(
            update(InviteRow)
            .where(INVITE.id == invite_id, INVITE.used_at.is_(None), INVITE.expires_at > now)
            .values(expires_at=now)
        )
        return affected_rows(result) == 1


def _pending(row: InviteRow) -> PendingInvite:
    assert row.id is not None
    return PendingInvite(
        id=row.id,
        role=row.role,
        name=row.name,
        languages=tuple(filter(None, row.languages.split(","))),
        gender=row.gender,
        topics=tuple(filter(None, row.topics.split(","))),
        capacity=row.capacity,
        expires_at=row.expires_at,
        created_at=row.created_at,
    )
