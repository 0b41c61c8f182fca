"""The console's own rows: one-time login links, sessions, and the audit of staff changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import ConsoleLinkRow, ConsoleSessionRow, StaffAuditRow

LINK = ConsoleLinkRow.__table__.c  # type: ignore[attr-defined]
SESSION = ConsoleSessionRow.__table__.c  # type: ignore[attr-defined]
AUDIT = StaffAuditRow.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ConsoleSession:
    id: int
    person_id: int
    browser: str
    created_at: datetime
    seen_at: datetime


@dataclass(frozen=True)
class StaffAction:
    person_id: int
    action: str
    target: str
    detail: str
    at: datetime


def _session(row: ConsoleSessionRow) -> ConsoleSession:
    assert row.id is not None
    return ConsoleSession(row.id, row.person_id, row.browser, row.created_at, row.seen_at)


class ConsoleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_link(
        self, code_hash: str, person_id: int, expires_at: datetime, now: datetime
    ) -> None:
        self._session.add(
            ConsoleLinkRow(
                code_hash=code_hash, person_id=person_id, expires_at=expires_at, created_at=now
            )
        )
        await self._session.flush()

    async def use_link(self, code_hash: str, now: datetime) -> int | None:
        """The person the link is for, once: a used or expired link gives None."""
        result = await self._session.execute(
            update(ConsoleLinkRow)
            .where(LINK.code_hash == code_hash, LINK.used_at.is_(None), LINK.expires_at > now)
            .values(used_at=now)
            .returning(LINK.person_id)
        )
        person_id = result.scalar_one_or_none()
        return int(person_id) if person_id is not None else None

    async def add_session(
        self, session_hash: str, person_id: int, browser: str, now: datetime
    ) -> None:
        self._session.add(
            ConsoleSessionRow(
                session_hash=session_hash,
                person_id=person_id,
                browser=browser[:80],
                created_at=now,
                seen_at=now,
            )
        )
        await self._session.flush()

    async def find_session(self, session_hash: str) -> ConsoleSession | None:
        row = (
            await self._session.execute(
                select(ConsoleSessionRow).where(
                    SESSION.session_hash == session_hash, SESSION.ended_at.is_(None)
                )
            )
        ).scalar_one_or_none()
        return _session(row) if row is not None else None

    async def seen(self, session_id: int, now: datetime) -> None:
        await self._session.execute(
            update(ConsoleSessionRow).where(SESSION.id == session_id).values(seen_at=now)
        )

    async def end_session(self, session_id: int, person_id: int, now: datetime) -> bool:
        """Ends one of `person_id`'s own sessions; False if it was not theirs or had ended."""
        result = await self._session.execute(
            update(ConsoleSessionRow)
            .where(
                SESSION.id == session_id,
                SESSION.person_id == person_id,
                SESSION.ended_at.is_(None),
            )
            .values(ended_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def end_sessions_of(self, person_id: int, now: datetime) -> None:
        await self._session.execute(
            update(ConsoleSessionRow)
            .where(SESSION.person_id == person_id, SESSION.ended_at.is_(None))
            .values(ended_at=now)
        )

    async def sessions_of(self, person_id: int) -> list[ConsoleSession]:
        rows = await self._session.execute(
            select(ConsoleSessionRow)
            .where(SESSION.person_id == person_id, SESSION.ended_at.is_(None))
            .order_by(SESSION.id)
        )
        return [_session(row) for row in rows.scalars()]

    async def purge(self, cutoff: datetime) -> None:
        """Links and ended or long-idle sessions from before `cutoff`."""
        await self._session.execute(delete(ConsoleLinkRow).where(LINK.created_at < cutoff))
        await self._session.execute(delete(ConsoleSessionRow).where(SESSION.seen_at < cutoff))

    async def audit(
        self, person_id: int, action: str, target: str, detail: str, now: datetime
    ) -> None:
        self._session.add(
            StaffAuditRow(
                person_id=person_id,
                action=action[:32],
                target=target[:40],
                detail=detail[:200],
                at=now,
            )
        )
        await self._session.flush()

    async def purge_audit(self, cutoff: datetime) -> int:
        result = await self._session.execute(delete(StaffAuditRow).where(AUDIT.at < cutoff))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
