"""Published versions of what coordinators change at run time (the settings, the catalogs
and the flows): the newest of a kind and name is live, the rest is history."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import PublishedRow

PUBLISHED = PublishedRow.__table__.c  # type: ignore[attr-defined]
FILES, CONSOLE = "files", "console"


def content_hash(text: str) -> str:
    """What tells two versions apart (and a file from what was published of it)."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Version:
    id: int
    kind: str
    name: str
    content: str
    content_hash: str
    source: str
    person_id: int | None
    published_at: datetime


def _version(row: PublishedRow) -> Version:
    assert row.id is not None
    return Version(
        row.id,
        row.kind,
        row.name,
        row.content,
        row.content_hash,
        row.source,
        row.person_id,
        row.published_at,
    )


class PublishedVersions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def publish(
        self,
        kind: str,
        name: str,
        content: str,
        content_hash: str,
        source: str,
        person_id: int | None,
        now: datetime,
    ) -> int:
        row = PublishedRow(
            kind=kind,
            name=name,
            content=content,
            content_hash=content_hash,
            source=source,
            person_id=person_id,
            published_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        assert row.id is not None
        return row.id

    async def newest_id(self, kind: str) -> int:
        """The id of the newest version of any name of `kind` (0: none): one cheap look
        every second tells an instance whether something new was published."""
        found = await self._session.execute(
            select(func.max(PUBLISHED.id)).where(PUBLISHED.kind == kind)
        )
        return int(found.scalar_one() or 0)

    async def newest(self, kind: str, name: str = "") -> Version | None:
        row = (
            await self._session.execute(
                select(PublishedRow)
                .where(PUBLISHED.kind == kind, PUBLISHED.name == name)
                .order_by(PUBLISHED.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        return _version(row) if row is not None else None

    async def newest_of_each(self, kind: str) -> dict[str, Version]:
        """The newest version of every name of `kind` (the flows: one per file)."""
        newest = (
            select(func.max(PUBLISHED.id)).where(PUBLISHED.kind == kind).group_by(PUBLISHED.name)
        )
        rows = await self._session.execute(
            select(PublishedRow).where(PUBLISHED.id.in_(newest.scalar_subquery()))
        )
        return {row.name: _version(row) for row in rows.scalars()}

    async def was_published(self, kind: str, name: str, content_hash: str) -> bool:
        """Whether this content was ever published under this name (a file that holds an
        older version is not new)."""
        found = await self._session.execute(
            select(PUBLISHED.id)
            .where(
                PUBLISHED.kind == kind,
                PUBLISHED.name == name,
                PUBLISHED.content_hash == content_hash,
            )
            .limit(1)
        )
        return found.first() is not None

    async def history(self, kind: str, name: str = "", limit: int = 50) -> list[Version]:
        rows = await self._session.execute(
            select(PublishedRow)
            .where(PUBLISHED.kind == kind, PUBLISHED.name == name)
            .order_by(PUBLISHED.id.desc())
            .limit(limit)
        )
        return [_version(row) for row in rows.scalars()]

    async def get(self, version_id: int) -> Version | None:
        row = await self._session.get(PublishedRow, version_id)
        return _version(row) if row is not None else None
