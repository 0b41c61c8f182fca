"""The outbox: messages written with the effects that caused them, claimed for sending.

A chat's messages are claimed as an unbroken run from its oldest unsent one, and leased, so
they go out in order even with several instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import OutboxItem, Outgoing
from storage.results import affected_rows
from storage.tables import OutboxMessage

PENDING, SENT, FAILED, DROPPED = "pending", "sent", "failed", "dropped"
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
ERROR_LENGTH = 200


# Hot statements, built once (see storage/repositories.py).
MARK_SENT = (
    update(OUTBOX)
    .where(
        OUTBOX.c.id == bindparam("message_id"),
        OUTBOX.c.lease_owner == bindparam("owner"),
        OUTBOX.c.status == PENDING,
    )
    .values(
        status=SENT,
        sent_at=bindparam("at"),
        sealed_payload=None,
        sealed_chat="",
        lease_until=None,
        lease_owner=None,
    )
)
UNSENT_OF = select(func.count()).where(
    OUTBOX.c.sender == bindparam("sender"), OUTBOX.c.status == PENDING
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
        per_chat: int = 1,
    ) -> list[OutboxItem]:
        """Lease the oldest due messages of up to `limit` recipients (of these, if given; not
        of the `busy` ones, whose chat cannot take a message now): of each, its oldest
        unsent message and the ones after it, up to `per_chat`, in order.

        Only an unbroken run from a chat's oldest unsent message is leased: a message
        waiting for its retry, or leased to another instance, ends the chat's run."""
        t = OUTBOX.c
        pending = t.status == PENDING
        if recipients is not None:
            pending = and_(pending, t.recipient.in_(recipients))
        if busy:
            pending = and_(pending, t.recipient.not_in(busy))
        in_line = {"partition_by": t.recipient, "order_by": t.id}
        waiting = case((or_(t.next_attempt_at > now, t.lease_until >= now), 1), else_=0)
        ranked = (
            select(
                t.id,
                func.row_number().over(**in_line).label("place"),
                # How many of the chat's messages up to this one cannot go now.
                func.sum(waiting).over(**in_line, rows=(None, 0)).label("held"),
            )
            .where(pending)
            .subquery()
        )
        query = (
            select(
                t.id,
                t.recipient,
                t.sealed_chat,
                t.kind,
                t.sealed_payload,
                t.source,
                t.attempts,
                t.created_at,
                ranked.c.place,
            )
            .join(ranked, ranked.c.id == t.id)
            .where(ranked.c.place <= per_chat, ranked.c.held == 0)
            .order_by(t.id)
            .limit(limit * per_chat)
            .with_for_update(skip_locked=True, of=OUTBOX)
        )
        rows = (await self._session.execute(query)).all()
        # SKIP LOCKED may leave a gap where another instance is claiming the same chat: a
        # chat's run is taken only from its oldest message on, and only without gaps.
        taken, places = [], dict[str, int]()
        for row in rows:
            if row.place == places.get(row.recipient, 0) + 1:
                places[row.recipient] = row.place
                taken.append(row)
        if not taken:
            return []
        await self._session.execute(
            update(OUTBOX)
            .where(t.id.in_([row.id for row in taken]))
            .values(lease_until=now + lease, lease_owner=owner, attempts=t.attempts + 1)
        )
        return [
            OutboxItem(
                id=row.id,
                recipient=row.recipient,
                sealed_chat=row.sealed_chat,
                kind=row.kind,
                sealed_payload=row.sealed_payload,
                source=row.source,
                attempts=row.attempts + 1,
                created_at=row.created_at,
            )
            for row in taken
        ]

    async def release(self, message_ids: Sequence[int], owner: str) -> None:
        """Give back claimed messages that were not tried (their chat had to stop): they
        can be claimed again at once, and the claim did not count as an attempt."""
        if not message_ids:
            return
        t = OUTBOX.c
        await self._session.execute(
            update(OUTBOX)
            .where(t.id.in_(message_ids), t.lease_owner == owner, t.status == PENDING)
            .values(lease_until=None, lease_owner=None, attempts=t.attempts - 1)
        )

    async def mark_sent(self, message_id: int, owner: str, now: datetime) -> None:
        """Sent: content and chat are erased at once; the row stays as a receipt until purged."""
        await self._finish(
            message_id, owner, status=SENT, sent_at=now, sealed_payload=None, sealed_chat=""
        )

    async def mark_sent_all(self, sent: Sequence[tuple[int, datetime]], owner: str) -> None:
        """Several receipts (message id, sent at) in one round trip; see mark_sent."""
        if not sent:
            return
        rows = [{"message_id": i, "at": at, "owner": owner} for i, at in sent]
        await self._session.execute(MARK_SENT, rows)

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
        return int((await self._session.execute(UNSENT_OF, {"sender": sender})).scalar_one())

    async def written_to(self, recipient: str) -> list[tuple[datetime, str]]:
        """(written at, sealed payload) of every message still holding its payload for one
        recipient, oldest first: the simulator's coordinator reads their chat this way."""
        t = OUTBOX.c
        query = (
            select(t.created_at, t.sealed_payload)
            .where(t.recipient == recipient, t.sealed_payload.is_not(None))
            .order_by(t.id)
        )
        return [(at, str(p)) for at, p in (await self._session.execute(query)).all()]

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
