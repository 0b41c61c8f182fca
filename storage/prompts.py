"""Voice prompts coordinators recorded with /record: one Telegram file per flow node and
language, reused for every parent who listens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import VoicePromptRow

PROMPT: Table = VoicePromptRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class VoicePrompt:
    flow: str
    node: str
    language: str
    file_id: str  # Telegram's id of the coordinator's voice message
    version: str  # the flow version it was recorded on
    recorded_by: int
    recorded_at: datetime


class VoicePromptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, prompt: VoicePrompt) -> None:
        """Keep `prompt`; one recorded before for the same node and language is replaced."""
        bind = self._session.bind
        postgres = bind is not None and bind.dialect.name == "postgresql"
        insert = postgresql_insert if postgres else sqlite_insert
        values = {
            "flow": prompt.flow,
            "node": prompt.node,
            "language": prompt.language,
            "file_id": prompt.file_id,
            "version": prompt.version,
            "recorded_by": prompt.recorded_by,
            "recorded_at": prompt.recorded_at,
        }
        statement = insert(PROMPT).values(**values)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["flow", "node", "language"],
                set_={name: statement.excluded[name] for name in values},
            )
        )

    async def in_language(self, language: str) -> dict[tuple[str, str], str]:
        """(flow, node) → file_id of every prompt recorded in `language`."""
        rows = await self._session.execute(
            select(PROMPT.c.flow, PROMPT.c.node, PROMPT.c.file_id).where(
                PROMPT.c.language == language
            )
        )
        return {(row.flow, row.node): row.file_id for row in rows}

    async def exists_in(self, language: str) -> bool:
        found = await self._session.execute(
            select(PROMPT.c.flow).where(PROMPT.c.language == language).limit(1)
        )
        return found.first() is not None

    async def all(self) -> list[VoicePrompt]:
        rows = await self._session.execute(
            select(PROMPT).order_by(PROMPT.c.flow, PROMPT.c.node, PROMPT.c.language)
        )
        return [
            VoicePrompt(
                flow=row.flow,
                node=row.node,
                language=row.language,
                file_id=row.file_id,
                version=row.version,
                recorded_by=row.recorded_by,
                recorded_at=row.recorded_at,
            )
            for row in rows
        ]
