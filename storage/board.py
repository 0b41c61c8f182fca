"""What the console's board and case page read: open cases with their offers, in one query each."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class CaseBoard:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
