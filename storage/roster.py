"""What the console's people pages read and change: VPs and coordinators with their load
and pace, and pending invitations."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class Roster:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
