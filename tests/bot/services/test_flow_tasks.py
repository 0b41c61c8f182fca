"""A question nobody answered: the flow's no-response exit runs later, silently, once — and
not at all when the parent answered, stopped or was erased meanwhile."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.i18n import Catalogs
from bot.services.buttons import ButtonTokens
from bot.services.clock import ManualClock
from bot.services.console_access import ConsoleAccess
from bot.services.conversations import Conversations
from bot.services.coordinator_settings import Console
from bot.services.flow_library import FlowLibrary
from bot.services.flow_tasks import register_flow_tasks
from bot.services.languages import LANGUAGES
from bot.services.outbox import Outbox
from bot.services.privacy import IdentityVault
from bot.services.reception import Reception, Subject
from bot.services.scheduling import TaskRegistry, TaskRunner
from bot.services.staff import Staff
from flows.inputs import Command, Input, Pick, Text
from flows.outputs import Reply
from storage import Database
from storage.tables import OutboxMessage
from tests.bot.services.test_cases import (
    CARD,
    CONTINUITY,
    DESK,
    LADDER,
    LEAVING,
    PROFESSIONALS,
    REFERRALS,
)
from tests.conftest import TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parents[3]
VAULT = IdentityVault(TEST_SECRET_KEY)
OUTBOX = Outbox(VAULT, "telegram")
PARENT = Subject("telegram", 5151)


@pytest.fixture(scope="module")
def conversations() -> Conversations:
    library = FlowLibrary(ROOT / "flows" / "defaults", lambda: ["nl"], frozenset())
    return Conversations(VAULT, library, ButtonTokens(VAULT.key("buttons")), DESK, REFERRALS)


Say = Callable[[Input], Awaitable[list[Reply]]]


async def at_the_question(db: Database, conversations: Conversations, clock: ManualClock) -> Say:
    """A parent at the question of the ask flow; returns how they say more."""
    reception = Reception(
        VAULT,
        Catalogs(list(LANGUAGES)),
        lambda: ["nl"],
        conversations,
        Staff(VAULT),
        DESK,
        LEAVING,
        LADDER,
        ConsoleAccess(VAULT, Console, None),
        CARD,
        REFERRALS,
        PROFESSIONALS,
        CONTINUITY,
    )

    async def say(incoming: Input) -> list[Reply]:
        async with db.transaction() as uow:
            return await reception.handle(uow, PARENT, incoming, clock.now())

    menu = await say(Pick("lang:nl"))
    topics = await say(Pick(menu[-1].all_choices[0].action))
    await say(Pick(topics[-1].all_choices[1].action))  # school: now the question waits
    return say


async def sent_texts(db: Database) -> list[tuple[str, bool]]:
    from sqlalchemy import select

    async with db.engine.connect() as connection:
        rows = (await connection.execute(select(OutboxMessage.__table__))).mappings().all()  # type: ignore[attr-defined]
    out = []
    for row in rows:
        payload = json.loads(VAULT.open(row["sealed_payload"]))
        out.append((payload["text"], payload["silent"]))
    return out


def runner(db: Database, conversations: Conversations) -> TaskRunner:
    registry = TaskRegistry()
    register_flow_tasks(registry, conversations, VAULT, lambda now: None)  # never quiet
    return TaskRunner(db, registry, OUTBOX, owner="test")


async def test_no_answer_in_two_days_gets_a_silent_kind_word(
    database: Database, conversations: Conversations
) -> None:
    clock = ManualClock()
    await at_the_question(database, conversations, clock)
    tasks = runner(database, conversations)
    clock.advance(timedelta(days=2) - timedelta(minutes=1))
    assert await tasks.tick(clock.now()) == 0
    clock.advance(timedelta(minutes=1))
    assert await tasks.tick(clock.now()) == 1
    [(text, silent)] = await sent_texts(database)
    assert text.startswith("Geen haast") and silent
    assert "school" not in text.lower()  # a lock screen never shows the topic


async def test_an_answer_in_time_voids_it(database: Database, conversations: Conversations) -> None:
    clock = ManualClock()
    say = await at_the_question(database, conversations, clock)
    await say(Text("Mijn zoon spijbelt"))
    clock.advance(timedelta(days=3))
    assert await runner(database, conversations).tick(clock.now()) == 1  # it ran …
    assert await sent_texts(database) == []  # … and had nothing to say


async def test_a_stopped_parent_hears_nothing(
    database: Database, conversations: Conversations
) -> None:
    clock = ManualClock()
    say = await at_the_question(database, conversations, clock)
    await say(Command("stop"))
    clock.advance(timedelta(days=3))
    assert await runner(database, conversations).tick(clock.now()) == 0  # cancelled
    async with database.transaction() as uow:
        assert await uow.tasks.counts() == {"cancelled": 1}
