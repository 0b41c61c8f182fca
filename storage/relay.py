"""The relay's bookkeeping: which copy belongs to which case, and messages on hold."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import Copy, Held, KeptMessage
from storage.results import affected_rows
from storage.tables import CaseMessageRow, HeldMessageRow, RelayRow

RELAY = RelayRow.__table__.c  # type: ignore[attr-defined]
HELD = HeldMessageRow.__table__.c  # type: ignore[attr-defined]


def _copy(row: RelayRow) -> Copy:
    return Copy(
        case_id=row.case_id,
        recipient=row.recipient,
        copy_message_id=row.copy_message_id,
        origin_owner=row.origin_owner,
        origin_message_id=row.origin_message_id,
    )


class Relays:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, case_id: int, recipient: str, origin_owner: str, origin_message_id: int, now: datetime
    ) -> int:
        row = RelayRow(
            case_id=case_id,
            recipient=recipient,
            origin_owner=origin_owner,
            origin_message_id=origin_message_id,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        assert row.id is not None
        return row.id

    async def sent(self, relay_id: int, copy_message_id: int, now: datetime) -> None:
        await self._session.execute(
            update(RelayRow)
            .where(RELAY.id == relay_id)
            .values(copy_message_id=copy_message_id, sent_at=now)
        )

    async def copy_in(self, recipient: str, message_id: int) -> Copy | None:
        """The relayed copy `message_id` in `recipient`'s chat, if it is one."""
        row = (
            await self._session.execute(
                select(RelayRow).where(
                    RELAY.recipient == recipient, RELAY.copy_message_id == message_id
                )
            )
        ).scalar_one_or_none()
        return _copy(row) if row else None

    async def copies_of(self, origin_owner: str, message_id: int) -> list[Copy]:
        """Every copy made of one original (for relaying its edit)."""
        rows = await self._session.execute(
            select(RelayRow)
            .where(RELAY.origin_owner == origin_owner, RELAY.origin_message_id == message_id)
            .order_by(RELAY.id)
        )
        return [_copy(row) for row in rows.scalars()]

    async def sent_since(self, case_ids: list[int], since: datetime) -> list[Copy]:
        """Copies delivered after `since` (Telegram lets a bot delete them for 48 hours)."""
        rows = await self._session.execute(
            select(RelayRow).where(
                RELAY.case_id.in_(case_ids),
                RELAY.sent_at.is_not(None),
                RELAY.sent_at > since,
            )
        )
        return [_copy(row) for row in rows.scalars()]

    async def hold(
        self, owner: str, case_id: int | None, sealed: str, now: datetime, *, paced: bool = False
    ) -> int:
        row = HeldMessageRow(
            owner=owner, case_id=case_id, sealed_payload=sealed, paced=paced, created_at=now
        )
        self._session.add(row)
        await self._session.flush()
        assert row.id is not None
        return row.id

    async def held(self, held_id: int) -> Held | None:
        """A message held until its writer chooses its case (never one held for pacing)."""
        row = await self._session.get(HeldMessageRow, held_id)
        if row is None or row.id is None or row.paced:
            return None
        return Held(row.id, row.owner, row.case_id, row.sealed_payload)

    async def held_for(self, case_id: int) -> list[Held]:
        """Messages a parent wrote before a VP accepted their case, oldest first."""
        rows = await self._session.execute(
            select(HeldMessageRow).where(HELD.case_id == case_id).order_by(HELD.id)
        )
        return [
            Held(row.id, row.owner, row.case_id, row.sealed_payload)
            for row in rows.scalars()
            if row.id is not None
        ]

    async def paced(self, owner: str) -> Held | None:
        """The oldest message held during the owner's flood, to be relayed next."""
        row = (
            await self._session.execute(
                select(HeldMessageRow)
                .where(HELD.owner == owner, HELD.paced.is_(True))
                .order_by(HELD.id)
                .limit(1)
            )
        ).scalar_one_or_none()
        if row is None or row.id is None:
            return None
        return Held(row.id, row.owner, row.case_id, row.sealed_payload)

    async def release(self, held_id: int) -> bool:
        """Take a held message off hold; False when it was already gone (pressed twice)."""
        result = await self._session.execute(delete(HeldMessageRow).where(HELD.id == held_id))
        return affected_rows(result) == 1

    async def delete_owner(self, owner: str) -> None:
        await self._session.execute(delete(HeldMessageRow).where(HELD.owner == owner))


class KeptMessages:
    """The relayed messages of open cases, sealed, for whoever takes a case over; erased
    with the case (storage.cases.CASE_CHILDREN)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def keep(
        self, case_id: int, author_id: int | None, sealed_said: str, now: datetime
    ) -> None:
        self._session.add(
            CaseMessageRow(case_id=case_id, author_id=author_id, sealed_said=sealed_said, at=now)
        )
        await self._session.flush()

    async def of_case(self, case_id: int) -> list[KeptMessage]:
        """Oldest first."""
        t = CaseMessageRow.__table__.c  # type: ignore[attr-defined]
        rows = await self._session.execute(
            select(t.id, t.case_id, t.author_id, t.sealed_said, t.at)
            .where(t.case_id == case_id)
            .order_by(t.id)
        )
        return [KeptMessage(*row) for row in rows.all()]
