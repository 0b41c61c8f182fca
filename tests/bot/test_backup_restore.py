"""Backup and restore (#11): a parent walks partway through a flow, the database is backed up
while the bot runs and restored into a fresh database; with the same SECRET_KEY the parent
carries on where they were, with another key neither `restore` nor `run` goes on, each saying
why in one line. The backup holds no SECRET_KEY. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.botapi import FakeBotApi, FakeUser
from tests.conftest import TEST_SECRET_KEY
from tests.journeys import press_index
from tests.live import cli_settings, live_bot, run_cli, settings_for

OTHER_SECRET_KEY = "another-secret-key-9876543210-zyxwvutsrqponmlkjihgfedcba"
ANOTHER_KEY = "this database was made with another SECRET_KEY"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def _admin(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def fresh_databases(database_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two empty databases of the same kind as `database_url`, to restore into."""
    if database_url.startswith("sqlite"):
        yield [f"sqlite+aiosqlite:///{tmp_path / f'restored{n}.db'}" for n in range(2)]
        return
    base, _ = database_url.rsplit("/", 1)
    admin_url = base.replace("postgresql+asyncpg://", "postgresql://", 1) + "/postgres"
    names = [f"tussenin_test_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    for name in names:
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    yield [f"{base}/{name}" for name in names]
    for name in names:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def to_the_topics(parent: FakeUser) -> None:
    """/start, Polish, "ask a question": the parent now sees the topics."""
    await parent.send_text("/start")
    await parent.wait_for(1, timeout=30)
    await parent.press("lang:pl")
    await parent.wait_for(3, timeout=30)
    await press_index(parent, 0)
    await parent.wait_for(1, timeout=30)


def texts(parent: FakeUser) -> list[str]:
    return [m.get("text", "") for m in parent.received]


async def test_restored_with_its_key_the_parent_carries_on(
    api: FakeBotApi, database_url: str, fresh_databases: list[str], tmp_path: Path
) -> None:
    restored, foreign = fresh_databases
    parent = api.user(8101, language_code="en")
    twin = api.user(8102, language_code="en")  # walks the same way: what comes next
    backup = tmp_path / "tussenin.backup"
    async with live_bot(settings_for(api, database_url)):
        await to_the_topics(parent)
        await to_the_topics(twin)
        code, stderr = await run_cli(
            tmp_path, "backup", str(backup), **cli_settings(api, database_url)
        )
        assert (code, stderr) == (0, "")
        await press_index(twin, 1)  # a topic: the question, and the voice warning
        await twin.wait_for(2, timeout=30)
    expected = texts(twin)[-2:]
    assert TEST_SECRET_KEY.encode() not in backup.read_bytes()

    code, stderr = await run_cli(tmp_path, "restore", str(backup), **cli_settings(api, restored))
    assert (code, stderr) == (0, "")
    code, stderr = await run_cli(tmp_path, "restore", str(backup), **cli_settings(api, restored))
    assert code == 2 and stderr.count("\n") == 1
    assert "already has" in stderr and "restore only into an empty database" in stderr

    async with live_bot(settings_for(api, restored)):
        await press_index(parent, 1)  # the button they were shown before the backup
        await parent.wait_for(2, timeout=30)
    assert texts(parent)[-2:] == expected  # the same next step, in Polish
    assert any(c in "".join(expected) for c in "ąćęłńóśźż")

    other = cli_settings(api, foreign, SECRET_KEY=OTHER_SECRET_KEY)
    code, stderr = await run_cli(tmp_path, "restore", str(backup), **other)
    assert code == 2 and stderr.count("\n") == 1
    assert stderr.startswith(f"tussenin: restored {backup}, but {ANOTHER_KEY}: ")
    code, stderr = await run_cli(tmp_path, "run", **other)
    assert code == 2 and stderr.count("\n") == 1
    assert stderr.startswith(f"tussenin: {ANOTHER_KEY}: ")


async def test_the_embedded_key_file_stays_out_of_the_backup(
    api: FakeBotApi, clean_env: Path
) -> None:
    """Without SECRET_KEY the embedded database keeps a generated key beside it."""
    url = f"sqlite:///{clean_env / 'tussenin.db'}"
    code, stderr = await run_cli(clean_env, "shell", DATABASE_URL=url)  # its first start
    assert (code, stderr) == (0, "")
    key = (clean_env / "tussenin.db.secret").read_text().strip()
    code, stderr = await run_cli(clean_env, "backup", "copy.db", DATABASE_URL=url)
    assert (code, stderr) == (0, "")
    assert key.encode() not in (clean_env / "copy.db").read_bytes()
    # Restored elsewhere, it gets a new key of its own, and says which one it needs.
    (clean_env / "elsewhere").mkdir()
    target = f"sqlite:///{clean_env / 'elsewhere' / 'tussenin.db'}"
    code, stderr = await run_cli(clean_env, "restore", "copy.db", DATABASE_URL=target)
    assert code == 2 and stderr.count("\n") == 1
    assert ANOTHER_KEY in stderr and "tussenin.db.secret" in stderr
    # With the key file beside it, the same restored database starts.
    (clean_env / "elsewhere" / "tussenin.db.secret").write_text(key + "\n")
    code, stderr = await run_cli(clean_env, "shell", DATABASE_URL=target)  # stdin is empty
    assert (code, stderr) == (0, "")


async def test_a_failing_pg_dump_is_one_line(
    api: FakeBotApi, postgres_url: str, tmp_path: Path
) -> None:
    missing = postgres_url.rsplit("/", 1)[0] + "/tussenin_no_such_database"
    backup = tmp_path / "never.backup"
    code, stderr = await run_cli(tmp_path, "backup", str(backup), **cli_settings(api, missing))
    assert code == 2 and stderr.count("\n") == 1
    assert stderr.startswith("tussenin: no backup made: pg_dump failed (exit 1): ")
    assert "tussenin_no_such_database" in stderr
    assert not backup.exists() and not backup.with_name("never.backup.partial").exists()
