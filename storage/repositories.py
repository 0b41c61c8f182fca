"""Repositories: the only code that builds queries. They return plain records."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import Parent
from storage.results import affected_rows
from storage.tables import (
    BotFact,
    OutboxMessage,
    ParentRow,
    PersonRow,
    ProcessedUpdate,
    SetAsideUpdate,
)

PARENT = ParentRow.__table__  # type: ignore[attr-defined]
UPDATES = ProcessedUpdate.__table__  # type: ignore[attr-defined]
PERSON = PersonRow.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
PARENT_COLUMNS = (
    PARENT.c.id,
    PARENT.c.channel,
    PARENT.c.subject_hash,
    PARENT.c.sealed_chat,
    PARENT.c.language,
    PARENT.c.stopped_at,
    PARENT.c.created_at,
    PARENT.c.listens,
)


# Hot statements are built once, with bound parameters: building one costs more than
# running it from SQLAlchemy's compiled cache.
FIND_PARENT = select(*PARENT_COLUMNS).where(PARENT.c.subject_hash == bindparam("subject_hash"))
_ONE_ROW = select(literal(1).label("one")).subquery()
# Whether staff has this hash, how many messages they caused wait unsent (the flood gate
# asks), and the parent with it if any: one row always.
IDENTIFY = (
    select(
        exists().where(PERSON.c.subject_hash == bindparam("subject_hash")).label("staff"),
        select(func.count())
        .where(OUTBOX.c.sender == bindparam("subject_hash"), OUTBOX.c.status == "pending")
        .scalar_subquery()
        .label("unsent"),
        *PARENT_COLUMNS,
    )
    .select_from(_ONE_ROW)
    .outerjoin(PARENT, PARENT.c.subject_hash == bindparam("subject_hash"))
)


def _insert(session: AsyncSession) -> Callable[[Table], Any]:
    """The dialect's INSERT, for ON CONFLICT."""
    return postgresql_insert if _dialect(session) == "postgresql" else sqlite_insert


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


@functools.cache
def _note_update(dialect: str) -> Any:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(UPDATES)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(UPDATES.c.update_id)
    )


# The lock of a subject's updates and the note of the update, in one round trip.
_LOCK_AND_NOTE_UPDATE = text(
    "WITH locked AS (SELECT pg_advisory_xact_lock(:key)) "
    "INSERT INTO processed_update (update_id, processed_at) "
    "SELECT CAST(:update_id AS BIGINT), CAST(:processed_at AS TIMESTAMP WITH TIME ZONE) "
    "FROM locked ON CONFLICT (update_id) DO NOTHING RETURNING update_id"
)


class Identity(NamedTuple):
    """Who wrote an update, as its first read says."""

    staff: bool  # a VP or coordinator has this hash
    parent: Parent | None  # the parent with it, if any
    unsent: int  # messages this sender caused that are not sent yet


def _parent(row: RowMapping) -> Parent:
    return Parent(**row)


class ParentRepository:
    """Core statements: a parent is read on every update, often twice (the flood gate, then
    the reception), so what was read is kept until this transaction writes a parent."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._read: dict[str, Parent] = {}
        self._identified: dict[str, Identity] = {}

    async def find(self, subject_hash: str) -> Parent | None:
        if subject_hash in self._read:
            return self._read[subject_hash]
        found = await self._session.execute(FIND_PARENT, {"subject_hash": subject_hash})
        row = found.mappings().first()
        if row is None:
            return None
        parent = self._read[subject_hash] = _parent(row)
        return parent

    async def identify(self, subject_hash: str, *, fresh: bool = False) -> Identity:
        """Whether a staff member has this hash, the parent with it (kept for find), and
        their unsent messages, in one statement: every update asks these first. The flood
        gate reads them `fresh`; the reception then gets the same answer, unless a parent
        was written in between (its unsent count may be older: it does not use it)."""
        known = self._identified.get(subject_hash)
        if known is not None and not fresh:
            return known
        found = await self._session.execute(IDENTIFY, {"subject_hash": subject_hash})
        row = dict(found.mappings().one())
        staff, unsent = bool(row.pop("staff")), int(row.pop("unsent"))
        parent = None
        if row["id"] is not None:
            parent = self._read[subject_hash] = Parent(**row)
        identity = self._identified[subject_hash] = Identity(staff, parent, unsent)
        return identity

    async def get_or_create(
        self, channel: str, subject_hash: str, sealed_chat: str | None, now: datetime
    ) -> Parent:
        found = await self.find(subject_hash)
        if found is not None:
            return found
        values = {
            "channel": channel,
            "subject_hash": subject_hash,
            "sealed_chat": sealed_chat,
            "created_at": now,
            "updated_at": now,
        }
        added = await self._session.execute(insert(PARENT).values(values).returning(PARENT.c.id))
        self._identified.pop(subject_hash, None)
        self._read[subject_hash] = parent = Parent(
            id=int(added.scalar_one()),
            channel=channel,
            subject_hash=subject_hash,
            sealed_chat=sealed_chat,
            language=None,
            stopped_at=None,
            created_at=now,
        )
        return parent

    async def set_language(self, parent_id: int, language: str, now: datetime) -> None:
        self._read.clear()
        self._identified.clear()
        changed = await self._session.execute(
            update(PARENT).where(PARENT.c.id == parent_id).values(language=language, updated_at=now)
        )
        if affected_rows(changed) == 0:
            raise LookupError(f"parent {parent_id} does not exist")

    async def set_listening(self, parent_id: int, listens: bool, now: datetime) -> None:
        """Listen (voice prompts before the texts) or read."""
        self._read.clear()
        self._identified.clear()
        await self._session.execute(
            update(PARENT).where(PARENT.c.id == parent_id).values(listens=listens, updated_at=now)
        )

    async def mark_stopped(self, subject_hash: str, now: datetime) -> bool:
        """The parent stopped or blocked the bot; False if no such parent."""
        self._read.clear()
        self._identified.clear()
        result = await self._session.execute(
            update(PARENT)
            .where(PARENT.c.subject_hash == subject_hash)
            .values(stopped_at=now, updated_at=now)
        )
        return affected_rows(result) > 0

    async def get(self, parent_id: int) -> Parent | None:
        return await self._one(PARENT.c.id == parent_id)

    async def resume(self, parent_id: int, now: datetime) -> None:
        """The parent wrote again after stopping."""
        self._read.clear()
        self._identified.clear()
        await self._session.execute(
            update(PARENT)
            .where(PARENT.c.id == parent_id, PARENT.c.stopped_at.is_not(None))
            .values(stopped_at=None, updated_at=now)
        )

    async def delete(self, parent_id: int) -> None:
        self._read.clear()
        self._identified.clear()
        await self._session.execute(delete(PARENT).where(PARENT.c.id == parent_id))

    async def any_sealed_chat(self) -> str | None:
        """One parent's sealed chat id, to tell whether the current key can open it."""
        column = PARENT.c.sealed_chat
        found = await self._session.execute(select(column).where(column.is_not(None)).limit(1))
        return found.scalar_one_or_none()

    async def _one(self, condition: ColumnElement[bool]) -> Parent | None:
        found = await self._session.execute(select(*PARENT_COLUMNS).where(condition))
        row = found.mappings().first()
        return _parent(row) if row is not None else None


class UpdateLog:
    """Which Telegram update ids have been committed."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def seen(self, update_id: int) -> bool:
        return await self._session.get(ProcessedUpdate, update_id) is not None

    async def record(self, update_id: int, now: datetime) -> None:
        self._session.add(ProcessedUpdate(update_id=update_id, processed_at=now))
        await self._session.flush()

    async def note(self, update_id: int, now: datetime, lock: int | None = None) -> bool:
        """Record the update at the start of its transaction, in one statement; False when
        it was committed before (a redelivery). A rollback takes the note back too. With
        `lock` (PostgreSQL), the same statement first takes that advisory lock."""
        values: dict[str, object] = {"update_id": update_id, "processed_at": now}
        if lock is None:
            statement = _note_update(_dialect(self._session))
        else:
            statement, values["key"] = _LOCK_AND_NOTE_UPDATE, lock
        return (await self._session.execute(statement, values)).first() is not None

    async def set_aside(
        self, update_id: int, kind: str, error: str, attempts: int, now: datetime
    ) -> bool:
        """Give up on an update: noted without content, and never handled again.

        False when it was set aside or processed before (a redelivery)."""
        if await self.seen(update_id):
            return False
        self._session.add(
            SetAsideUpdate(
                update_id=update_id,
                kind=kind[:32],
                error=error[:64],
                attempts=attempts,
                set_aside_at=now,
            )
        )
        await self.record(update_id, now)
        return True

    async def set_aside_since(self, since: datetime) -> list[tuple[int, str, str, int]]:
        """(update id, type, error class, attempts) of the updates set aside since then."""
        result = await self._session.execute(
            select(SetAsideUpdate)
            .where(SetAsideUpdate.set_aside_at >= since)  # type: ignore[arg-type]
            .order_by(SetAsideUpdate.set_aside_at)  # type: ignore[arg-type]
        )
        return [(r.update_id, r.kind, r.error, r.attempts) for r in result.scalars()]

    async def purge(self, before: datetime) -> int:
        """Telegram redelivers for at most a day; older ids need not be kept."""
        result = await self._session.execute(
            ProcessedUpdate.__table__.delete().where(  # type: ignore[attr-defined]
                ProcessedUpdate.processed_at < before
            )
        )
        return affected_rows(result)


class BotFacts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, key: str) -> str | None:
        row = await self._session.get(BotFact, key)
        return row.value if row else None

    async def put(self, key: str, value: str, now: datetime) -> None:
        """Insert or update; two instances starting at once may both insert (one waits)."""
        table = BotFact.__table__  # type: ignore[attr-defined]
        statement = _insert(self._session)(table).values(key=key, value=value, updated_at=now)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["key"], set_={"value": value, "updated_at": now}
            )
        )

    async def put_new(self, key: str, value: str, now: datetime) -> str:
        """Insert unless the key is there; returns the value that is stored (first one wins)."""
        table = BotFact.__table__  # type: ignore[attr-defined]
        statement = _insert(self._session)(table).values(key=key, value=value, updated_at=now)
        await self._session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
        found = await self._session.execute(select(table.c.value).where(table.c.key == key))
        return str(found.scalar_one())

    async def delete(self, key: str) -> None:
        table = BotFact.__table__  # type: ignore[attr-defined]
        await self._session.execute(table.delete().where(table.c.key == key))
