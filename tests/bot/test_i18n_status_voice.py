"""`i18n status` shows voice coverage per language: the prompts recorded with /record (read
from the database) over the nodes with texts, and says so when the database is not there."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.services.voice_prompts import spoken_nodes
from bot.settings import DEFAULT_FLOWS_DIR
from flows.flowset import FlowSet
from flows.library import read_flows
from storage import Database
from storage.prompts import VoicePrompt
from tests.bot.services.test_cases import NOW
from tests.conftest import TEST_SECRET_KEY
from tests.live import CLI_TIMEOUT, migrated, start_cli


async def status(cwd: Path, **settings: str) -> list[str]:
    process = await start_cli(cwd, "i18n", "status", **settings)
    stdout, stderr = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode().splitlines()


async def test_recorded_prompts_count_per_language(database_url: str, tmp_path: Path) -> None:
    url = await migrated(database_url)
    database = Database(url)
    try:
        async with database.transaction() as uow:
            for node, lang in (("menu", "ar"), ("hello", "ar"), ("menu", "so")):
                prompt = VoicePrompt("welcome", node, lang, f"FILE-{node}-{lang}", "v", 1, NOW)
                await uow.voice_prompts.record(prompt)
    finally:
        await database.dispose()
    flows, _ = read_flows(DEFAULT_FLOWS_DIR)
    nodes = len(spoken_nodes(FlowSet({f.name: f for f in flows})))
    lines = await status(tmp_path, DATABASE_URL=url, SECRET_KEY=TEST_SECRET_KEY)
    by_language = {line.split()[0]: line for line in lines[:-1]}
    assert f"voice   2/{nodes}" in by_language["ar"]
    assert f"voice   1/{nodes}" in by_language["so"]
    assert f"voice   0/{nodes}" in by_language["nl"]
    assert lines[-1].startswith("voice prompts: 3 recorded, read from the database")


async def test_without_a_database_it_says_so(tmp_path: Path) -> None:
    lines = await status(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'none.db'}")
    assert lines[-1].startswith(f"voice prompts: no database at {tmp_path / 'none.db'}")
    assert not (tmp_path / "none.db").exists()  # looking does not make one
