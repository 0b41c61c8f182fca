"""One transaction: every write of one update goes through one UnitOfWork."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.outbox import OutboxRepository
from storage.repositories import BotFacts, ParentRepository, UpdateLog
from storage.tasks import TaskRepository


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.parents = ParentRepository(session)
        self.updates = UpdateLog(session)
        self.bot_facts = BotFacts(session)
        self.outbox = OutboxRepository(session)
        self.tasks = TaskRepository(session)
