"""Floods over the local Bot API: one parent's flood is held to its limit while others walk
the flows; what a flooding parent writes to their VP arrives complete, in order, paced."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import statistics
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.settings import DEFAULT_FLOWS_DIR
from storage import Database
from storage.people import Profile
from storage.tables import OutboxMessage
from tests.botapi import FakeBotApi, FakeUser
from tests.handlers.test_flows_over_http import press_index
from tests.handlers.test_handoff_over_http import VAULT, ask_to_talk, invite, join
from tests.handlers.test_relay_over_http import accept_offer
from tests.live import backend, eventually, live_bot, migrated, settings_for

NOTICE = "You are writing faster than I can keep up with."
FLOOD_MESSAGES = 2000
FLOOD_SECONDS = 20.0  # 2,000 messages at 100/s: 15 times the sustained rate below
WALKERS = 20
OUTBOX = OutboxMessage.__table__.c  # type: ignore[attr-defined]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def flows_with_limit(folder: Path, limit: str) -> Path:
    """The shipped flows, with the settings file's flood limit replaced."""
    shutil.copytree(DEFAULT_FLOWS_DIR, folder, dirs_exist_ok=True)
    settings = folder / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text[: text.index("flood:")] + limit, encoding="utf-8")
    return folder


async def walk(parent: FakeUser, seconds: list[float]) -> None:
    """A parent asks a question about school and passes it on; each answer's wait noted."""
    loop = asyncio.get_running_loop()
    steps: list[tuple[Callable[[], object], int]] = [
        (lambda: parent.send_text("/start"), 1),
        (lambda: parent.press("lang:en"), 3),
        (lambda: press_index(parent, 0), 1),  # ask a question
        (lambda: press_index(parent, 1), 2),  # school
        (lambda: parent.send_text("My son does not want to go to school."), 1),
        (lambda: press_index(parent, 2), 1),  # no preference
        (lambda: press_index(parent, 1), 2),  # talk to someone
    ]
    for act, answers in steps:
        started = loop.time()
        result = act()
        if asyncio.iscoroutine(result):
            await result
        await parent.wait_for(answers, timeout=30)
        seconds.append(loop.time() - started)


async def replies_to(database: Database, user: FakeUser, since: datetime) -> list[datetime]:
    """When the bot wrote its replies to this user (the outbox keeps a receipt of each)."""
    recipient = VAULT.subject_hash("telegram", user.id)
    query = (
        select(OUTBOX.created_at)
        .where(OUTBOX.recipient == recipient, OUTBOX.kind == "reply", OUTBOX.created_at >= since)
        .order_by(OUTBOX.id)
    )
    async with database.engine.connect() as connection:
        return list((await connection.execute(query)).scalars())


def p95(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=20)[-1]


async def unsent_of(database: Database, user: FakeUser) -> int:
    sender = VAULT.subject_hash("telegram", user.id)
    query = select(func.count()).where(OUTBOX.sender == sender, OUTBOX.status == "pending")
    async with database.engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


async def test_a_flood_is_held_to_its_limit_while_others_walk(
    api: FakeBotApi, database_url: str, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    url = await migrated(database_url)
    # The default limit 20 times faster: 10 at once, 20 per 3 s, a notice every 3 s.
    flows = flows_with_limit(
        tmp_path, "flood:\n  burst: 10\n  sustained: 20\n  per: 3s\n  notice_every: 3s\n"
    )
    flooder, vp = api.user(9001, language_code="en"), api.user(9002, language_code="nl")
    calm = [api.user(9100 + n, language_code="en") for n in range(WALKERS)]
    busy = [api.user(9200 + n, language_code="en") for n in range(WALKERS)]
    database = Database(url)
    loop = asyncio.get_running_loop()
    try:
        async with live_bot(settings_for(api, url, flows_dir=flows)):
            await join(vp, await invite(url, Profile("vp", "Amina E", ("en",), "f")))
            await ask_to_talk(flooder, "en")
            await accept_offer(vp)
            await flooder.wait_for(1)  # the VP took the question

            quiet: list[float] = []
            await asyncio.gather(*(walk(parent, quiet) for parent in calm))

            flooded: list[float] = []
            unsent: list[int] = []

            async def flood() -> None:
                per_tick = 10
                for n in range(0, FLOOD_MESSAGES, per_tick):
                    for k in range(n, n + per_tick):
                        await flooder.send_text(f"message {k}")
                    await asyncio.sleep(FLOOD_SECONDS * per_tick / FLOOD_MESSAGES)

            async def watch(until: asyncio.Task[None]) -> None:
                for _ in range(int((FLOOD_SECONDS + 60) / 0.1)):  # bounded: 80 s at most
                    unsent.append(await unsent_of(database, flooder))
                    if until.done():
                        return
                    await asyncio.sleep(0.1)

            started, since = loop.time(), datetime.now(UTC)
            flooding = asyncio.create_task(flood())
            watching = asyncio.create_task(watch(flooding))
            await asyncio.gather(*(walk(parent, flooded) for parent in busy))
            await flooding
            await watching
            lasted = loop.time() - started
            written = await replies_to(database, flooder, since)

            def delivered() -> int:
                return sum(NOTICE in m.get("text", "") for m in flooder.received)

            # The last notice may still be on its way when the flood ends.
            await eventually(lambda: delivered() >= len(written), 30)
            notice_count = delivered()
        relayed = sum(1 for m in vp.received if "message " in m.get("text", ""))
    finally:
        await database.dispose()
    assert len(quiet) == len(flooded) == WALKERS * 7  # every other parent finished
    assert max(unsent) <= 5, max(unsent)
    assert notice_count, "the flooding parent was never told"
    # when the bot wrote them (they may arrive closer together, after the held relays)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(written)]
    assert len(written) == notice_count and all(gap >= 3.0 for gap in gaps), gaps
    figures(
        f"flood ({backend(url)}): {FLOOD_MESSAGES} messages from one parent in {lasted:.0f} s "
        f"(limit 10 at once, 20 per 3 s): {notice_count} notices, at most {max(unsent)} unsent, "
        f"{relayed} relayed to the VP so far; {WALKERS} other parents' answers p95 "
        f"{p95(quiet) * 1000:.0f} ms without the flood, {p95(flooded) * 1000:.0f} ms with it"
    )


async def test_a_flood_to_the_vp_arrives_complete_in_order_and_paced(
    api: FakeBotApi, database_url: str, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    url = await migrated(database_url)
    # 3 at once, then one a second
    flows = flows_with_limit(
        tmp_path, "flood:\n  burst: 3\n  sustained: 3\n  per: 3s\n  notice_every: 1m\n"
    )
    parent, vp = api.user(9301, language_code="en"), api.user(9302, language_code="nl")
    count = 15
    loop = asyncio.get_running_loop()
    async with live_bot(settings_for(api, url, flows_dir=flows)):
        await join(vp, await invite(url, Profile("vp", "Amina E", ("en",), "f")))
        await ask_to_talk(parent, "en")
        await accept_offer(vp)
        await parent.wait_for(1)
        for n in range(12):
            await parent.send_text(f"line {n}")
        await asyncio.sleep(2.5)  # the limit has room again, but earlier lines still wait
        for n in range(12, count):
            await parent.send_text(f"line {n}")
        arrived: list[float] = []
        for _ in range(count):  # bounded: count waits of 10 s at most
            if len(arrived) >= count:
                break
            fresh = await vp.wait_for(1, timeout=10)
            arrived.extend(loop.time() for _ in fresh)
        [notice] = await parent.wait_for(1, predicate=lambda m: NOTICE in m.get("text", ""))
    copies = [m["text"].split("\n", 1)[1] for m in vp.received if "line " in m.get("text", "")]
    assert copies == [f"line {n}" for n in range(count)]  # complete, in order
    paced = arrived[3:]  # beyond the burst: one a second, no faster
    pace = (paced[-1] - paced[0]) / (len(paced) - 1)
    assert pace >= 0.8, pace
    assert "kept and passed on" in notice["text"]
    figures(
        f"flood to the VP ({backend(url)}): {count} messages (12 at once), limit 3 then 1/s: "
        f"{len(copies)} relayed in order, beyond the burst one every {pace:.2f} s"
    )
