"""The flood limit per sender, and the cap on a sender's unsent messages (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.coordinator_settings import Flood as FloodSettings
from bot.services.flood import ADMIT_BELOW, MAX_UNSENT, Flood
from bot.services.relay import Relay
from storage import Database
from tests.bot.services.test_cases import CATALOGS, VAULT

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SLOW_DOWN = "You are writing faster than I can keep up with. Please wait a minute"


def flood(**limit: object) -> Flood:
    settings = FloodSettings.model_validate(
        {"burst": 3, "sustained": 1, "per": "1h", "notice_every": "1m", **limit}
    )
    return Flood(VAULT, CATALOGS, Relay(VAULT, CATALOGS), lambda: settings)


async def test_a_burst_then_one_notice_per_interval(database: Database) -> None:
    gate, key = flood(), VAULT.subject_hash("telegram", 42)
    answers = []
    async with database.transaction() as uow:
        await uow.parents.get_or_create("telegram", key, VAULT.seal(42), NOW)
        for n in range(6):
            moment = NOW + timedelta(seconds=n)
            answers.append(await gate.screen(uow, key, None, moment, "en"))
        later = await gate.screen(uow, key, None, NOW + timedelta(minutes=1, seconds=5), "en")
    assert answers[:3] == [None, None, None]  # the burst is answered
    [notice] = answers[3] or []
    assert notice.text.startswith(SLOW_DOWN)
    assert answers[4:] == [[], []]  # then quiet
    assert later and later[0].text == notice.text  # a minute later: one notice more


async def test_a_sender_over_the_limit_waits_for_room_in_the_outbox(database: Database) -> None:
    gate, key = flood(burst=1), VAULT.subject_hash("telegram", 43)
    other = VAULT.subject_hash("telegram", 44)
    async with database.transaction() as uow:
        await uow.parents.get_or_create("telegram", key, VAULT.seal(43), NOW)
        assert await gate.screen(uow, key, None, NOW, "en") is None
        assert await gate.screen(uow, key, None, NOW, "en")  # beyond the limit: a notice
        uow.outbox.sender = key
        for _ in range(ADMIT_BELOW):
            await uow.outbox.add(
                recipient=key,
                sealed_chat="x",
                kind="reply",
                sealed_payload=None,
                source="update:1",
                now=NOW,
            )
        uow.outbox.sender = other
        await uow.outbox.add(
            recipient=key,
            sealed_chat="x",
            kind="reply",
            sealed_payload=None,
            source="task:1",
            now=NOW,
        )
        assert await uow.outbox.unsent_of(key) == ADMIT_BELOW < MAX_UNSENT
        # a button press is not limited by rate, but it waits while the outbox is full
        assert await gate.screen(uow, key, None, NOW, "en", message=False) == []
        assert await gate.screen(uow, other, None, NOW, "en", message=False) is None
