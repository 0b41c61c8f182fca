"""Deployed as an operator would: the wheel in a fresh virtualenv, and a fresh clone without
make. From there the Procfile line starts the bot against the local Bot API and PostgreSQL,
and a Polish parent gets /start answered in Polish. Slow (a virtualenv and an install each);
pip fetches the dependencies from the package registry, as an operator's would."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from pathlib import Path

from tests.botapi import FakeBotApi
from tests.conftest import SETTING_NAMES, TEST_SECRET_KEY
from tests.live import TEST_TOKEN, free_port

ROOT = Path(__file__).resolve().parents[1]
POLISH_PICKER = "W jakim języku"  # locales/pl: "In which language …"
INSTALL_TIMEOUT = 600.0
COMMAND_TIMEOUT = 120.0
ANSWER_TIMEOUT = 90.0
# What a developer's tree holds that is not the project's source.
NOT_SOURCE = (".git", ".venv", "build", "*.egg-info", "__pycache__", "*.mo", "*.db*", ".*_cache")


def procfile_command(procfile: Path) -> str:
    """The `web:` process of the Procfile, as a platform would run it."""
    for line in procfile.read_text(encoding="utf-8").splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise AssertionError(f"no web: line in {procfile}")


def deployed_env(venv: Path, **settings: str) -> dict[str, str]:
    """The machine's environment with the virtualenv first on PATH and nothing of the repo."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SETTING_NAMES and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env.update(settings)
    return env


async def sh(
    args: list[str], cwd: Path, env: dict[str, str], stdin: str = "", timeout: float = 120.0
) -> str:
    """Run one command to its end; its stdout, or a failure with both streams."""
    process = await asyncio.create_subprocess_exec(
        *args,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"{' '.join(args)}: no end within {timeout:.0f} s") from None
    assert process.returncode == 0, f"{' '.join(args)}: {out.decode()}\n{err.decode()}"
    return out.decode()


async def fresh_venv(venv: Path, cwd: Path, *install: str) -> None:
    """A new virtualenv with nothing in it but what `pip install INSTALL` brings."""
    env = deployed_env(venv)
    await sh([sys.executable, "-m", "venv", str(venv)], cwd, env, timeout=COMMAND_TIMEOUT)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *install]
    await sh(pip, cwd, env, timeout=INSTALL_TIMEOUT)


async def procfile_answers_in_polish(venv: Path, cwd: Path, procfile: Path, database: str) -> str:
    """Start the Procfile line in `cwd`; a parent whose Telegram speaks Polish sends /start.
    Returns the bot's log (stderr)."""
    async with FakeBotApi() as api:
        env = deployed_env(
            venv,
            TELEGRAM_TOKEN=TEST_TOKEN,
            TELEGRAM_API_URL=api.base_url,
            DATABASE_URL=database,
            SECRET_KEY=TEST_SECRET_KEY,
            PORT=str(free_port()),
        )
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            procfile_command(procfile),
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group: the shell and the bot stop together
        )
        parent = api.user(3001, language_code="pl")
        answered = asyncio.create_task(parent.send_text("/start"))
        try:
            await answered
            picker = asyncio.create_task(parent.wait_for(1, timeout=ANSWER_TIMEOUT))
            ended = asyncio.create_task(process.wait())
            await asyncio.wait({picker, ended}, return_when=asyncio.FIRST_COMPLETED)
            ended.cancel()
            if not picker.done():
                picker.cancel()
                err = await process.stderr.read() if process.stderr else b""
                raise AssertionError(f"the Procfile line ended early:\n{err.decode()}")
            [answer] = picker.result()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), 30)
    log = err.decode()
    assert answer["text"].startswith(POLISH_PICKER), answer["text"]
    assert "database is up to date" in out.decode()  # the Procfile's first command
    assert "Traceback" not in log, log
    return log


def copy_of_the_source(destination: Path) -> Path:
    """The working tree without build output: a stale build/ never reaches the wheel."""
    shutil.copytree(ROOT, destination, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    return destination


async def test_the_wheel_in_a_fresh_virtualenv_runs_the_procfile_and_every_command(
    tmp_path: Path, postgres_url: str
) -> None:
    source = copy_of_the_source(tmp_path / "source")
    dist, venv, elsewhere = tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), "."]
    await sh(build, source, deployed_env(venv), timeout=INSTALL_TIMEOUT)
    [wheel] = dist.glob("tussenin_bot-*.whl")
    await fresh_venv(venv, elsewhere, str(wheel))
    python = str(venv / "bin" / "python")
    env = deployed_env(venv, DATABASE_URL=f"sqlite:///{elsewhere / 'tussenin.db'}")

    where = await sh([python, "-c", "import bot, locales; print(bot.__file__)"], elsewhere, env)
    assert where.startswith(str(venv)), where  # the installed package, not the repo
    catalogs = venv.glob("lib/python*/site-packages/locales/*/LC_MESSAGES/messages.mo")
    assert len(list(catalogs)) >= 9, "the wheel carries no compiled catalogs"

    await procfile_answers_in_polish(venv, elsewhere, ROOT / "Procfile", postgres_url)

    # Every command works in the installed package, from another folder.
    bot = [python, "-m", "bot"]
    assert "0 problems" in await sh([*bot, "i18n", "check"], elsewhere, env)
    assert "not reviewed yet" in await sh([*bot, "i18n", "status"], elsewhere, env)
    assert "0 errors" in await sh([*bot, "flows", "check"], elsewhere, env)
    assert ": ok" in await sh([*bot, "settings", "check"], elsewhere, env)
    assert "compiled: ar" in await sh([*bot, "i18n", "compile"], elsewhere, env)
    await sh([*bot, "i18n", "update"], elsewhere, env)
    assert "0 errors" in await sh([*bot, "flows", "reload"], elsewhere, env)
    assert "database is up to date" in await sh([*bot, "db", "upgrade"], elsewhere, env)
    shell = await sh([*bot, "shell"], elsewhere, env, stdin="/start\n")
    assert "In welke taal wil je schrijven?" in shell
    postgres = deployed_env(venv, DATABASE_URL=postgres_url, SECRET_KEY=TEST_SECRET_KEY)
    invite = ["vp", "invite", "--name", "Ola", "--languages", "pl", "--gender", "f"]
    assert "?start=inv" in await sh([*bot, *invite], elsewhere, postgres)
    assert "breaches" in await sh([*bot, "simulate", "--days", "1"], elsewhere, env)


async def test_a_fresh_clone_runs_the_procfile_without_make(
    tmp_path: Path, postgres_url: str
) -> None:
    clone, venv = tmp_path / "clone", tmp_path / "clone" / ".venv"
    await sh(["git", "clone", "--quiet", str(ROOT), str(clone)], tmp_path, dict(os.environ))
    assert not list(clone.glob("locales/*/LC_MESSAGES/*.mo"))  # build output, not in git
    await fresh_venv(venv, clone, "-e", ".")
    await procfile_answers_in_polish(venv, clone, clone / "Procfile", postgres_url)
    assert len(list(clone.glob("locales/*/LC_MESSAGES/messages.mo"))) >= 9  # compiled at start
