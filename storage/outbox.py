"""The outbox: messages written with the effects that caused them, claimed for sending.

Only the oldest unsent message of each recipient can be claimed, and a claimed one is
leased, so messages to one chat go out in order even with several instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import OutboxItem, Outgoing
from storage.results import affected_rows
from storage.tables import OutboxMessage

PENDING, SENT, FAILED, DROPPED = "pending", "sent", "failed", "dropped"
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
ERROR_LENGTH = 200


def _item(row: OutboxMessage) -> OutboxItem:
    assert row.id is not None
    return OutboxItem(
        id=row.id,
        recipient=row.recipient,
        sealed_chat=row.sealed_chat,
        kind=row.kind,
        sealed_payload=row.sealed_payload,
        source=row.source,
        attempts=row.attempts,
        created_at=row.created_at,
    )


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Whose update or task this transaction serves: every message it adds is theirs.
        self.sender: str | None = None

    async def add(
        self,
        *,
        recipient: str,
        sealed_chat: str,
        kind: str,
        sealed_payload: str | None,
        source: str,
        now: datetime,
    ) -> int:
        statement = insert(OUTBOX).returning(OUTBOX.c.id)
        row = self._row(Outgoing(recipient, sealed_chat, kind, sealed_payload), source, now)
        return int((await self._session.execute(statement, row)).scalar_one())

    async def add_all(self, messages: Sequence[Outgoing], *, source: str, now: datetime) -> None:
        """A turn's messages in one statement; their ids rise in this order."""
        if messages:
            rows = [self._row(message, source, now) for message in messages]
            await self._session.execute(insert(OUTBOX), rows)

    def _row(self, message: Outgoing, source: str, now: datetime) -> dict[str, object]:
        return {
            "recipient": message.recipient,
            "sealed_chat": message.sealed_chat,
            "kind": message.kind,
            "sealed_payload": message.sealed_payload,
            "source": source,
            "sender": self.sender,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }

    async def claim(
        self,
        now: datetime,
        owner: str,
        lease: timedelta,
        limit: int,
        recipients: set[str] | None = None,
        busy: set[str] | None = None,
    ) -> list[OutboxItem]:
        """Lease the oldest due message of up to `limit` recipients (of these, if given; not
        of the `busy` ones, whose chat cannot take a message now)."""
        t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        pending = t.status == PENDING
        if recipients is not None:
            pending = and_(pending, t.recipient.in_(recipients))
        if busy:
            pending = and_(pending, t.recipient.not_in(busy))
        heads = select(func.min(t.id)).where(pending).group_by(t.recipient).scalar_subquery()
        query = (
            select(OutboxMessage)
            .where(
                t.id.in_(heads),
                t.next_attempt_at <= now,
                or_(t.lease_until.is_(None), t.lease_until < now),
            )
            .order_by(t.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list((await self._session.execute(query)).scalars())
        for row in rows:
            row.lease_until, row.lease_owner = now + lease, owner
            row.attempts += 1
        await self._session.flush()
        return [_item(row) for row in rows]

    async def mark_sent(self, message_id: int, owner: str, now: datetime) -> None:
        """Sent: content and chat are erased at once; the row stays as a receipt until purged."""
        await self._finish(
            message_id, owner, status=SENT, sent_at=now, sealed_payload=None, sealed_chat=""
        )

    async def mark_sent_all(self, sent: Sequence[tuple[int, datetime]], owner: str) -> None:
        """Several receipts (message id, sent at) in one round trip; see mark_sent."""
        if not sent:
            return
        t = OUTBOX.c
        statement = (
            update(OUTBOX)
            .where(t.id == bindparam("message_id"), t.lease_owner == owner, t.status == PENDING)
            .values(
                status=SENT,
                sent_at=bindparam("at"),
                sealed_payload=None,
                sealed_chat="",
                lease_until=None,
                lease_owner=None,
            )
        )
        await self._session.execute(statement, [{"message_id": i, "at": at} for i, at in sent])

    async def retry_at(self, message_id: int, owner: str, due: datetime, error: str) -> None:
        await self._finish(
            message_id, owner, status=PENDING, next_attempt_at=due, last_error=error[:ERROR_LENGTH]
        )

    async def mark_failed(self, message_id: int, owner: str, error: str) -> None:
        await self._finish(
            message_id, owner, status=FAILED, sealed_payload=None, last_error=error[:ERROR_LENGTH]
        )

    async def drop_recipient(self, recipient: str, reason: str) -> int:
        """Nothing more goes to this recipient (they blocked the bot or stopped)."""
        t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        result = await self._session.execute(
            update(OutboxMessage)
            .where(and_(t.recipient == recipient, t.status == PENDING))
            .values(
                status=DROPPED,
                sealed_payload=None,
                lease_until=None,
                lease_owner=None,
                last_error=reason[:ERROR_LENGTH],
            )
        )
        return affected_rows(result)

    async def drop_source(self, source: str, kind: str, reason: str) -> int:
        """Pending messages of one kind from one source are not sent after all."""
        t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        result = await self._session.execute(
            update(OutboxMessage)
            .where(and_(t.source == source, t.kind == kind, t.status == PENDING))
            .values(
                status=DROPPED,
                sealed_payload=None,
                lease_until=None,
                lease_owner=None,
                last_error=reason[:ERROR_LENGTH],
            )
        )
        return affected_rows(result)

    async def delete_recipient(self, recipient: str) -> int:
        """Erase every message and receipt of a recipient (after /forget)."""
        t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        result = await self._session.execute(
            OutboxMessage.__table__.delete().where(t.recipient == recipient)  # type: ignore[attr-defined]
        )
        return affected_rows(result)

    async def forget_sender(self, sender: str) -> None:
        """After /forget: messages they caused to others stay, no longer tied to them."""
        t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        await self._session.execute(
            update(OutboxMessage).where(t.sender == sender).values(sender=None)
        )
        if self.sender == sender:
            self.sender = None

    async def purge_finished(self, before: datetime) -> int:
        t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        result = await self._session.execute(
            OutboxMessage.__table__.delete().where(  # type: ignore[attr-defined]
                t.status != PENDING, t.created_at < before
            )
        )
        return affected_rows(result)

    async def unsent_of(self, sender: str) -> int:
        """Messages caused by one person that are not sent yet (being sent included)."""
        t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        query = (
            select(func.count())
            .select_from(OutboxMessage)
            .where(t.sender == sender, t.status == PENDING)
        )
        return int((await self._session.execute(query)).scalar_one())

    async def pending_count(self) -> int:
        t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        query = select(func.count()).select_from(OutboxMessage).where(t.status == PENDING)
        return int((await self._session.execute(query)).scalar_one())

    async def backlog(self) -> tuple[int, datetime | None]:
        """How many messages wait to be sent, and when the oldest of them was written."""
        t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        query = select(func.count(), func.min(t.created_at)).where(t.status == PENDING)
        count, oldest = (await self._session.execute(query)).one()
        return int(count), oldest

    async def _finish(self, message_id: int, owner: str, **values: object) -> None:
        t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        # Only the lease holder may finish a message: a late instance changes nothing.
        await self._session.execute(
            update(OutboxMessage)
            .where(t.id == message_id, t.lease_owner == owner, t.status == PENDING)
            .values(lease_until=None, lease_owner=None, **values)
        )
