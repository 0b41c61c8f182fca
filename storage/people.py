"""Vertrouwenspersonen, coordinators and their invites."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import Person
from storage.tables import InviteRow, PersonRow


@dataclass(frozen=True)
class Profile:
    """What an invite fixes about the person who will use it."""

    role: str
    name: str
    languages: tuple[str, ...] = ()
    gender: str = ""
    topics: tuple[str, ...] = ()
    capacity: int = 3
    partner_id: str = ""  # a professional: the partner organisation they work for


PERSON = PersonRow.__table__  # type: ignore[attr-defined]
FIND_PERSON = select(PERSON).where(PERSON.c.subject_hash == bindparam("subject_hash"))


def _person(row: PersonRow | Row[Any]) -> Person:
    assert row.id is not None
    return Person(
        id=row.id,
        role=row.role,
        name=row.name,
        display_name=row.display_name,
        languages=tuple(filter(None, row.languages.split(","))),
        gender=row.gender,
        topics=tuple(filter(None, row.topics.split(","))),
        capacity=row.capacity,
        active=row.active,
        available=row.available,
        last_offer_at=row.last_offer_at,
        subject_hash=row.subject_hash,
        sealed_chat=row.sealed_chat,
        language=row.language or "",
        recording=row.recording or "",
        recording_at=row.recording_at,
        reviewer=row.reviewer,
        partner_id=row.partner_id or "",
        away_until=row.away_until,
    )


class People:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_invite(
        self, code_hash: str, profile: Profile, expires_at: datetime, now: datetime
    ) -> None:
        self._session.add(
            InviteRow(
                code_hash=code_hash,
                role=profile.role,
                name=profile.name,
                languages=",".join(profile.languages),
                gender=profile.gender,
                topics=",".join(profile.topics),
                capacity=profile.capacity,
                partner_id=profile.partner_id,
                expires_at=expires_at,
                created_at=now,
            )
        )
        await self._session.flush()

    async def use_invite(
        self, code_hash: str, subject_hash: str, sealed_chat: str, now: datetime
    ) -> Person | None:
        """The person the invite registers, once, before it expires; None otherwise."""
        invite = (
            await self._session.execute(
                select(InviteRow).where(InviteRow.code_hash == code_hash).with_for_update()  # type: ignore[arg-type]
            )
        ).scalar_one_or_none()
        if invite is None or invite.used_at is not None or invite.expires_at <= now:
            return None
        invite.used_at = now
        row = (
            await self._session.execute(
                select(PersonRow).where(PersonRow.subject_hash == subject_hash)  # type: ignore[arg-type]
            )
        ).scalar_one_or_none()
        if row is None:
            row = PersonRow(
                subject_hash=subject_hash,
                sealed_chat=sealed_chat,
                created_at=now,
                role="",
                name="",
                display_name="",
            )
            self._session.add(row)
        row.role, row.name = invite.role, invite.name
        row.display_name = row.display_name or invite.name.split()[0][:40]
        row.languages, row.gender, row.topics = invite.languages, invite.gender, invite.topics
        row.capacity, row.active = invite.capacity, True
        row.partner_id = invite.partner_id or ""
        await self._session.flush()
        return _person(row)

    async def find(self, subject_hash: str) -> Person | None:
        """Asked on every update (is the sender staff?): a Core statement built once."""
        found = await self._session.execute(FIND_PERSON, {"subject_hash": subject_hash})
        row = found.first()
        return _person(row) if row else None  # a Core row has the same attributes

    async def vps(self) -> list[Person]:
        rows = await self._session.execute(
            select(PersonRow).where(PersonRow.role == "vp")  # type: ignore[arg-type]
        )
        return [_person(row) for row in rows.scalars()]

    async def professionals(self) -> list[Person]:
        """The professionals of partner organisations (role "partner")."""
        rows = await self._session.execute(
            select(PersonRow).where(PersonRow.role == "partner")  # type: ignore[arg-type]
        )
        return [_person(row) for row in rows.scalars()]

    async def offered(self, person_id: int, now: datetime) -> None:
        row = await self._session.get(PersonRow, person_id)
        if row is not None:
            row.last_offer_at = now
            await self._session.flush()

    async def get(self, person_id: int) -> Person | None:
        row = await self._session.get(PersonRow, person_id)
        return _person(row) if row else None

    async def coordinators(self) -> list[Person]:
        rows = await self._session.execute(
            select(PersonRow).where(PersonRow.role == "coordinator", PersonRow.active)  # type: ignore[arg-type]
        )
        return [_person(row) for row in rows.scalars()]

    async def set_recording(self, person_id: int, recording: str, at: datetime | None) -> None:
        """What a coordinator's next voice message is for ("flow:node:language"), since
        when; "" and None: nothing."""
        row = await self._session.get(PersonRow, person_id)
        if row is not None:
            row.recording, row.recording_at = recording, at
            await self._session.flush()

    async def update(self, person_id: int, **fields: object) -> None:
        """Change a person's own settings: display_name, available, capacity, language."""
        row = await self._session.get(PersonRow, person_id)
        if row is not None:
            for name, value in fields.items():
                setattr(row, name, value)
            await self._session.flush()
