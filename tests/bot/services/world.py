"""A whole bot core on a clock the test controls, wired as in production (open_core and the
task runner), for tests of what happens over days: follow-ups, retention."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import select

from bot.runtime import Core, open_core
from bot.services.clock import ManualClock
from bot.services.outbox import Outbox
from bot.services.reception import Subject
from bot.services.relay import Said
from bot.services.scheduling import TaskRunner
from bot.services.staff import Staff
from bot.settings import DEFAULT_FLOWS_DIR, Settings
from flows.inputs import Input, Pick
from flows.outputs import Reply
from storage import Database
from storage.people import Profile
from storage.tables import OutboxMessage
from tests.conftest import TEST_SECRET_KEY

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Monday 23 November 2026, 10:00 in Amsterdam (09:00 UTC)
MORNING = datetime(2026, 11, 23, 9, tzinfo=UTC)


@dataclass
class World:
    core: Core
    clock: ManualClock
    runner: TaskRunner

    async def tick_until(self, moment: datetime, step: timedelta = timedelta(minutes=10)) -> None:
        while self.clock.now() < moment:
            self.clock.advance(min(step, moment - self.clock.now()))
            await self.runner.tick(self.clock.now())

    async def say(self, who: int, incoming: Input, said: Said | None = None) -> list[Reply]:
        async with self.core.database.transaction() as uow:
            return await self.core.reception.handle(
                uow, Subject("telegram", who), incoming, self.clock.now(), said=said
            )

    async def to(self, who: int) -> list[tuple[datetime, dict[str, Any]]]:
        """(when it was written, payload) of every outbox message for chat `who`."""
        key = self.core.vault.subject_hash("telegram", who)
        t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        async with self.core.database.engine.connect() as connection:
            rows = await connection.execute(
                select(t.created_at, t.sealed_payload).where(t.recipient == key).order_by(t.id)
            )
            return [
                (at, json.loads(self.core.vault.open(p))) for at, p in rows.all() if p is not None
            ]


async def a_world(database_url: str) -> AsyncIterator[World]:
    settings = Settings(
        telegram_token=None,
        telegram_api_url="http://127.0.0.1:9/bot",
        database_url=database_url,
        secret_key=SecretStr(TEST_SECRET_KEY),
        webhook_url=None,
        webhook_secret=SecretStr("secret"),
        port=0,
        timezone=AMSTERDAM,
        flows_dir=DEFAULT_FLOWS_DIR,
    )
    database = Database(database_url)
    await database.upgrade()
    await database.dispose()
    clock = ManualClock(MORNING)
    core = await open_core(settings, clock=clock)
    runner = TaskRunner(core.database, core.tasks, Outbox(core.vault, "telegram"), owner="t")
    try:
        yield World(core, clock, runner)
    finally:
        await core.close()


async def join(world: World, who: int, profile: Profile) -> int:
    async with world.core.database.transaction() as uow:
        staff = Staff(world.core.vault)
        code, _ = await staff.invite(uow, profile, world.clock.now(), timedelta(days=1))
        person = await staff.register(uow, code, "telegram", who, world.clock.now())
    assert person is not None
    return person.id


async def a_case_accepted(world: World, parent: int, vp: int, urgent: bool = False) -> str:
    """The parent passes a question on; the VP accepts it. Returns the case alias."""
    key = world.core.vault.subject_hash("telegram", parent)
    async with world.core.database.transaction() as uow:
        row = await uow.parents.get_or_create(
            "telegram", key, world.core.vault.seal(parent), world.clock.now()
        )
        await uow.parents.set_language(row.id, "nl", world.clock.now())
        case, _ = await world.core.reception.cases.open(
            uow, row.id, "nl", {"question": "…"}, urgent, world.clock.now()
        )
        assert case is not None
        [(offer, _, _)] = await uow.cases.offers_of(case.id)
    await world.say(vp, Pick(f"offer:{offer}:yes"))
    return case.alias
