"""One transaction: every write of one update goes through one UnitOfWork."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import AuditLog
from storage.board import CaseBoard
from storage.cases import Cases
from storage.console import ConsoleRepository
from storage.conversations import (
    ConversationRepository,
    FlowVersions,
    erase_parent_rows,
)
from storage.figures import Figures
from storage.handovers import Handovers
from storage.notes import CaseNotes
from storage.outbox import OutboxRepository
from storage.people import People
from storage.professionals import CaseProfessionals
from storage.prompts import VoicePromptRepository
from storage.published import PublishedVersions
from storage.referrals import Referrals
from storage.relay import KeptMessages, Relays
from storage.repositories import BotFacts, ParentRepository, UpdateLog
from storage.roster import Roster
from storage.tasks import TaskRepository


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # The PostgreSQL advisory lock this transaction's first statement is to take (see
        # Database.transaction), if any.
        self.advisory_key: int | None = None
        self.parents = ParentRepository(session)
        self.updates = UpdateLog(session)
        self.bot_facts = BotFacts(session)
        self.outbox = OutboxRepository(session)
        self.tasks = TaskRepository(session)
        self.conversations = ConversationRepository(session)
        self.flow_versions = FlowVersions(session)
        self.cases = Cases(session)
        self.notes = CaseNotes(session)
        self.referrals = Referrals(session)
        self.professionals = CaseProfessionals(session)
        self.people = People(session)
        self.relays = Relays(session)
        self.kept = KeptMessages(session)
        self.handovers = Handovers(session)
        self.figures = Figures(session)
        self.voice_prompts = VoicePromptRepository(session)
        self.console = ConsoleRepository(session)
        self.board = CaseBoard(session)
        self.roster = Roster(session)
        self.audit = AuditLog(session)
        self.published = PublishedVersions(session)

    async def erase_parent(self, parent_id: int, subject_hash: str, now: datetime) -> None:
        """/forget: every row tied to the parent goes, and everything scheduled for them."""
        await erase_parent_rows(self._session, parent_id)
        self.conversations.forget()
        await self.relays.delete_owner(subject_hash)
        await self.tasks.delete_subject(subject_hash)
        await self.outbox.delete_recipient(subject_hash)
        await self.outbox.forget_sender(subject_hash)  # from here on, nothing is theirs
        await self.parents.delete(parent_id)
