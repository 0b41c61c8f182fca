"""A database dump and the logs reveal no parent: no name, username, phone or Telegram id."""

from __future__ import annotations

import asyncio
import io
import logging
import random
import string
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from sqlalchemy import MetaData, select

from bot.logs import LOG_FORMAT, configure_logging
from storage import Database
from tests.botapi import FakeBotApi, FakeUser
from tests.conftest import TEST_SECRET_KEY
from tests.live import TEST_TOKEN, backend, live_bot, migrated, settings_for


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
def production_log() -> Iterator[io.StringIO]:
    """The logging the bot runs with, written to a buffer the test can search."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging([TEST_TOKEN, TEST_SECRET_KEY])
    buffer = io.StringIO()
    capture = logging.StreamHandler(buffer)
    capture.setFormatter(logging.Formatter(LOG_FORMAT))
    capture.addFilter(root.handlers[0].filters[0])
    root.addHandler(capture)
    yield buffer
    root.handlers[:], root.level = saved


def _word(rng: random.Random, n: int = 8) -> str:
    return rng.choice(string.ascii_uppercase) + "".join(
        rng.choice(string.ascii_lowercase) for _ in range(n - 1)
    )


async def dump(database_url: str) -> tuple[str, dict[str, int]]:
    """Every column of every row of every table, as text."""
    database = Database(database_url)
    metadata = MetaData()
    lines, counts = [], {}
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(metadata.reflect)
            for table in metadata.sorted_tables:
                rows = (await connection.execute(select(table))).all()
                counts[table.name] = len(rows)
                lines += [f"{table.name}: {tuple(row)!r}" for row in rows]
    finally:
        await database.dispose()
    return "\n".join(lines), counts


async def test_random_parents_leave_no_trace(
    api: FakeBotApi,
    database_url: str,
    production_log: io.StringIO,
    figures: Callable[[str], None],
) -> None:
    rng = random.Random()
    url = await migrated(database_url)
    secrets: list[str] = []

    async def journey(parent: FakeUser, first: str, last: str, phone: str) -> None:
        await parent.send_text("/start")
        await parent.wait_for(1)
        await parent.press("lang:" + rng.choice(["nl", "en", "ar", "tr"]))
        await parent.wait_for(3)  # the short welcome: hello (2), menu
        await parent.send_text(f"Ik ben {first} {last}, bel me op {phone}")
        await parent.send_contact(phone=phone)
        await parent.send_photo(caption=f"{first} thuis")
        await parent.wait_for(3)  # the menu again, three times

    journeys = []
    for _ in range(6):
        first, last, username = _word(rng), _word(rng), _word(rng, 12).lower() + "_x"
        user_id = rng.randrange(1_000_000_000, 9_999_999_999)
        phone = "+316" + "".join(rng.choice(string.digits) for _ in range(8))
        secrets += [first, last, username, str(user_id), phone, phone[1:]]
        parent = api.user(
            user_id,
            first,
            username=username,
            last_name=last,
            language_code=rng.choice(["nl", "en", "ar", "tr", "so"]),
        )
        journeys.append(journey(parent, first, last, phone))
    async with live_bot(settings_for(api, url)):
        await asyncio.gather(*journeys)
    text, counts = await dump(url)
    logs = production_log.getvalue()
    assert counts["parent"] == 6 and counts["processed_update"] >= 6 * 5  # a real dump
    assert "signed in as" in logs  # a real log
    leaks = [s for s in secrets if s in text or s.lower() in text.lower()]
    logged = [s for s in secrets if s in logs]
    assert leaks == [] and logged == []
    assert "Ik ben" not in logs and "Ik ben" not in text  # no message text either
    assert TEST_TOKEN not in logs
    figures(
        f"privacy ({backend(url)}): 6 random parents, {len(secrets)} identifying strings; "
        f"found in the dump of {len(counts)} tables ({sum(counts.values())} rows): 0; "
        f"in the logs: 0"
    )
