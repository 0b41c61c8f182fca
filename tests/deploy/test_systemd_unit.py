"""deploy/tussenin.service: systemd accepts it, and its own command lines start the bot.

systemd is not PID 1 in the test container, so the unit is not started by systemd itself:
`systemd-analyze verify` checks it, then its ExecStartPre and ExecStart lines, read from the
file, run with the variables of its environment file against the local Bot API and
PostgreSQL, and its KillSignal stops the bot cleanly (exit 0: no restart on failure)."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.botapi import FakeBotApi
from tests.conftest import SETTING_NAMES, TEST_SECRET_KEY
from tests.live import ROOT, TEST_TOKEN, free_port

UNIT = ROOT / "deploy" / "tussenin.service"
INSTALLED_PYTHON = "/opt/tussenin/venv/bin/python"
# What the operator fills in, and what points the bot at the test's stand-ins.
FILLED_IN = {"TELEGRAM_TOKEN", "SECRET_KEY"}
STAND_INS = {"TELEGRAM_API_URL", "DATABASE_URL", "WEBHOOK_URL", "PORT"}


def unit_sections(path: Path) -> dict[str, dict[str, list[str]]]:
    """[Section] → key → values (systemd allows a key more than once)."""
    sections: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        sections[section][key.strip()].append(value.strip())
    return sections


def environment_file(path: Path) -> dict[str, str]:
    """NAME=value lines, as systemd's EnvironmentFile= reads them."""
    found = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            found[name.strip()] = value.strip()
    return found


def here(command: str) -> list[str]:
    """A command line of the unit, with this test's Python in place of the installed one."""
    words = shlex.split(command)
    assert words[0] == INSTALLED_PYTHON
    return [sys.executable, *words[1:]]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt install systemd)")
    # Verify insists the programs exist: the same unit, with this Python installed.
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text(encoding="utf-8").replace(INSTALLED_PYTHON, sys.executable))
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=60
    )
    # Unknown or misplaced keys are only warnings: any output at all fails the test.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_unit_runs_as_its_own_user_and_restarts_on_failure() -> None:
    service = unit_sections(UNIT)["Service"]
    assert service["User"] == ["tussenin"] and service["Restart"] == ["on-failure"]
    assert service["ExecStartPre"] == [f"{INSTALLED_PYTHON} -m bot db upgrade"]
    assert service["NoNewPrivileges"] == ["yes"] and service["ProtectSystem"] == ["strict"]
    env_file = Path(service["EnvironmentFile"][0])
    assert (ROOT / "deploy" / f"{env_file.name}.example").is_file()


async def test_its_command_lines_start_the_bot(
    api: FakeBotApi, postgres_url: str, tmp_path: Path
) -> None:
    service = unit_sections(UNIT)["Service"]
    example = ROOT / "deploy" / (Path(service["EnvironmentFile"][0]).name + ".example")
    settings = environment_file(example)
    assert all(not settings[name] for name in FILLED_IN)  # never a usable example key
    assert settings["HOST"] == "127.0.0.1"  # behind the proxy on the same server
    port = free_port()
    settings |= {
        "TELEGRAM_TOKEN": TEST_TOKEN,
        "SECRET_KEY": TEST_SECRET_KEY,
        "TELEGRAM_API_URL": api.base_url,
        "DATABASE_URL": postgres_url,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "PORT": str(port),
    }
    assert set(settings) >= FILLED_IN | STAND_INS
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env |= settings | {"PYTHONPATH": str(ROOT)}  # the test runs the checkout, not a wheel
    state = tmp_path / "var-lib-tussenin"  # WorkingDirectory=, made by StateDirectory=
    state.mkdir()
    assert service["WorkingDirectory"] == ["/var/lib/tussenin"]

    for command in service["ExecStartPre"]:
        pre = await asyncio.create_subprocess_exec(
            *here(command), cwd=state, env=env, stderr=asyncio.subprocess.PIPE
        )
        _, stderr = await asyncio.wait_for(pre.communicate(), 60)
        assert pre.returncode == 0, stderr.decode()
    (start,) = service["ExecStart"]
    bot = await asyncio.create_subprocess_exec(
        *here(start),
        cwd=state,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        parent = api.user(9101, language_code="pl")
        await parent.send_text("/start")
        (picker,) = await parent.wait_for(1, timeout=60)
        assert picker["text"].startswith("W jakim języku")
    finally:
        if bot.returncode is None:
            bot.send_signal(getattr(signal, service["KillSignal"][0]))
        stop_within = float(service["TimeoutStopSec"][0])
        _, stderr = await asyncio.wait_for(bot.communicate(), stop_within)
    log = stderr.decode()
    assert bot.returncode == 0, log[-2000:]  # a clean stop: Restart=on-failure stays put
    assert "Traceback" not in log
