"""Hostile flow files dropped into a running bot: refused in a short line, memory flat,
and a parent answered meanwhile. The bot runs as `python -m bot run`, as in production."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import shutil
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.settings import DEFAULT_FLOWS_DIR
from flows.flowset import FlowSet
from flows.problems import Problem
from tests.botapi import FakeBotApi, FakeUser
from tests.flows.hostile import billion_laughs, huge, many_nodes
from tests.live import bot_env, cli_settings, eventually, live_bot, migrated, settings_for

HELP = "What you can do here"
MEMORY_GROWTH_LIMIT = 50 * 1024 * 1024
ADDRESS_SPACE_LIMIT = 3 * 1024**3  # a broken guard fails this test, not the machine
WAIT = 30.0  # seconds, for a reply or a log line
UNDER_1_KB = 1024
SLOW_RELOAD = 4.0  # seconds a reload holds its thread in the off-the-loop test


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def peak_memory(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    assert match, status
    return int(match.group(1)) * 1024


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


def drop(folder: Path, name: str, write: Callable[[Path], object]) -> None:
    """Write the file beside the folder's flows, then move it in whole, as an editor saves."""
    part = folder / f".{name}.part"
    write(part)
    os.replace(part, folder / name)


async def log_line(log: Path, *needles: str) -> str:
    """The first line of the bot's log holding every needle; bounded in time."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with log.open("rb") as handle:
            for raw in handle:
                line = raw.decode("utf-8", "replace")
                if all(needle in line for needle in needles):
                    return line.rstrip("\n")
        await asyncio.sleep(0.1)
    raise AssertionError(f"no log line with {needles} within {WAIT} s")


async def answered(parent: FakeUser) -> float:
    """Seconds until the parent's /help is answered."""
    started = time.monotonic()
    await parent.send_text("/help")
    [reply] = await parent.wait_for(1, timeout=WAIT)
    assert reply["text"].startswith(HELP)
    return time.monotonic() - started


async def test_hostile_flow_files_are_refused_while_a_parent_is_answered(
    api: FakeBotApi, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, flows)
    url = await migrated(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    log = tmp_path / "bot.log"
    with log.open("wb") as stderr:
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=bot_env(**cli_settings(api, url, FLOWS_DIR=str(flows))),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=_limit_address_space,
        )
    parent = api.user(4601, language_code="en")
    hostile = [
        ("laughs.yaml", lambda path: path.write_text(billion_laughs()), "YAML anchors and aliases"),
        ("fifty.yaml", lambda path: huge(path, 50 * 1024 * 1024), "the file has"),
        ("many.yaml", lambda path: path.write_text(many_nodes(10_000)), "more than 500 nodes"),
    ]
    refusals: list[tuple[str, str, float, float]] = []
    try:
        await answered(parent)  # running, and warmed up by one whole update
        before = peak_memory(bot.pid)
        for name, write, reason in hostile:
            dropped = time.monotonic()
            drop(flows, name, write)
            reply = await answered(parent)  # meanwhile
            line = await log_line(log, "flows not reloaded", f"{name}: refused: {reason}")
            refusals.append((name, line, time.monotonic() - dropped, reply))
        await answered(parent)  # the last good flows still serve
        after = peak_memory(bot.pid)
        assert bot.returncode is None
    finally:
        if bot.returncode is None:
            bot.terminate()
        await asyncio.wait_for(bot.wait(), WAIT)
    for name, line, _, _ in refusals:
        assert len(line.encode()) < UNDER_1_KB, f"{name}: {len(line.encode())} bytes"
    lines = log.read_bytes().splitlines()
    assert max(len(line) for line in lines) < UNDER_1_KB  # no file echoed into any log line
    growth = after - before
    assert growth < MEMORY_GROWTH_LIMIT, f"peak memory grew by {growth / 1e6:.0f} MB"
    figures(
        f"hostile flow files in a running bot: peak memory {before / 1e6:.0f} MB → "
        f"{after / 1e6:.0f} MB (+{growth / 1e6:.1f} MB); "
        + "; ".join(
            f"{name} refused in {took:.1f} s (log line {len(line.encode())} B, "
            f"/help meanwhile {reply:.2f} s)"
            for name, line, took, reply in refusals
        )
    )


async def test_a_slow_reload_runs_off_the_event_loop(
    api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reload that takes seconds (a large, valid file) leaves the bot answering meanwhile."""
    flows = tmp_path / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, flows)
    url = await migrated(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    parent = api.user(4602, language_code="en")
    loading = threading.Event()
    loaded: list[float] = []
    async with live_bot(settings_for(api, url, flows_dir=flows)) as telegram:
        library = telegram.core.flows
        draft = library.draft

        def slow_draft(*args: Any) -> tuple[FlowSet, list[Problem]]:
            loading.set()
            time.sleep(SLOW_RELOAD)  # holds its thread, as parsing a large file would
            loaded.append(time.monotonic())
            return draft(*args)

        monkeypatch.setattr(library, "draft", slow_draft)
        welcome = flows / "welcome.yaml"
        welcome.write_text(welcome.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
        await eventually(loading.is_set, WAIT)
        await answered(parent)
        answered_at = time.monotonic()
        await eventually(lambda: bool(loaded), WAIT)
    assert answered_at < loaded[0], "the parent waited for the reload"
