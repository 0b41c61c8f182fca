"""`python -m bot` as an operator runs it: live over HTTP, and one clear line on every failure."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.botapi import FakeBotApi
from tests.conftest import TEST_SECRET_KEY
from tests.live import TEST_TOKEN, free_port, run_cli, start_cli


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def assert_one_line(stderr: str, expected: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got:\n{stderr}"
    assert lines[0].startswith("tussenin: ") and expected in lines[0], lines[0]
    assert "Traceback" not in stderr


async def test_polling_bot_answers_and_never_logs_the_token(
    api: FakeBotApi, tmp_path: Path
) -> None:
    process = await start_cli(
        tmp_path, "run", TELEGRAM_TOKEN=TEST_TOKEN, TELEGRAM_API_URL=api.base_url
    )
    try:
        parent = api.user(2001, language_code="en")
        await parent.send_text("/start")
        [picker] = await parent.wait_for(1, timeout=30)
        assert picker["text"].startswith("Which language")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), 30)
    stderr = stderr_bytes.decode()
    assert process.returncode == 0, stderr
    assert "signed in as @tussenin_test_bot" in stderr and "polling for updates" in stderr
    assert TEST_TOKEN not in stderr and TEST_TOKEN.split(":")[1] not in stderr
    assert "Which language" not in stderr  # no message text in the log


async def test_webhook_bot_answers_through_the_cli(api: FakeBotApi, tmp_path: Path) -> None:
    port = free_port()
    process = await start_cli(
        tmp_path,
        "run",
        TELEGRAM_TOKEN=TEST_TOKEN,
        TELEGRAM_API_URL=api.base_url,
        SECRET_KEY=TEST_SECRET_KEY,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        PORT=str(port),
    )
    try:
        parent = api.user(2002, language_code="tr")
        await parent.send_text("/start")
        [picker] = await parent.wait_for(1, timeout=30)
        assert picker["text"].startswith("Hangi dilde")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert "serving the webhook" in stderr.decode()


async def test_a_rejected_token_stops_with_one_line(api: FakeBotApi, tmp_path: Path) -> None:
    api.reject_token(TEST_TOKEN)
    code, stderr = await run_cli(
        tmp_path, "run", TELEGRAM_TOKEN=TEST_TOKEN, TELEGRAM_API_URL=api.base_url
    )
    assert code == 2
    assert_one_line(stderr, "Telegram refused TELEGRAM_TOKEN (401 Unauthorized)")
    assert TEST_TOKEN not in stderr


async def test_an_unreachable_bot_api_stops_with_one_line(tmp_path: Path) -> None:
    code, stderr = await run_cli(
        tmp_path,
        "run",
        TELEGRAM_TOKEN=TEST_TOKEN,
        TELEGRAM_API_URL=f"http://127.0.0.1:{free_port()}/bot",
    )
    assert code == 2
    assert_one_line(stderr, "Cannot reach the Bot API at http://127.0.0.1:")


async def test_an_unreachable_database_stops_with_one_line(tmp_path: Path) -> None:
    url = f"postgresql://postgres:hunter2@127.0.0.1:{free_port()}/tussenin"
    code, stderr = await run_cli(
        tmp_path, "run", TELEGRAM_TOKEN=TEST_TOKEN, DATABASE_URL=url, SECRET_KEY=TEST_SECRET_KEY
    )
    assert code == 2
    assert_one_line(stderr, "cannot reach the database at postgresql+asyncpg://postgres:***@")
    assert "hunter2" not in stderr


async def test_an_unreadable_sqlite_path_stops_with_one_line(tmp_path: Path) -> None:
    code, stderr = await run_cli(
        tmp_path,
        "shell",
        DATABASE_URL="sqlite:////nonexistent/dir/x.db",
        SECRET_KEY=TEST_SECRET_KEY,
    )
    assert code == 2
    assert_one_line(stderr, "cannot reach the database")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"WEBHOOK_SECRET": "no spaces please"}, "WEBHOOK_SECRET may only contain"),
        ({"TELEGRAM_TOKEN": "12345"}, "TELEGRAM_TOKEN does not look like a bot token"),
        ({"DATABASE_URL": "postgresql://db/x"}, "SECRET_KEY is required with PostgreSQL"),
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE is not a known time zone"),
    ],
)
async def test_a_bad_setting_stops_with_one_line(
    tmp_path: Path, settings: dict[str, str], expected: str
) -> None:
    code, stderr = await run_cli(tmp_path, "run", **settings)
    assert code == 2
    assert_one_line(stderr, expected)


async def test_run_without_a_token_points_to_the_shell(tmp_path: Path) -> None:
    code, stderr = await run_cli(tmp_path, "run")
    assert code == 2
    assert_one_line(stderr, "TELEGRAM_TOKEN is not set")


async def test_a_second_poller_is_told_clearly(api: FakeBotApi, tmp_path: Path) -> None:
    settings = {"TELEGRAM_TOKEN": TEST_TOKEN, "TELEGRAM_API_URL": api.base_url}
    # Two folders, so the instances share the Bot API but not the SQLite file.
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = await start_cli(tmp_path / "one", "run", **settings)
    second = await start_cli(tmp_path / "two", "run", **settings)
    done, _ = await asyncio.wait(
        [asyncio.create_task(first.wait()), asyncio.create_task(second.wait())],
        timeout=60,
        return_when=asyncio.FIRST_COMPLETED,
    )
    assert done, "neither poller noticed the other"
    loser = first if first.returncode is not None else second
    assert loser.stderr is not None
    stderr = (await loser.stderr.read()).decode()
    assert loser.returncode == 2
    assert "Another process is polling this bot now (409 Conflict" in stderr
    assert "Traceback" not in stderr
    for process in (first, second):
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()


async def test_db_upgrade_command(postgres_url: str, tmp_path: Path) -> None:
    url = postgres_url.replace("+asyncpg", "")
    code, stderr = await run_cli(
        tmp_path, "db", "upgrade", DATABASE_URL=url, SECRET_KEY=TEST_SECRET_KEY
    )
    assert code == 0, stderr


async def test_settings_check_names_each_bad_line(tmp_path: Path) -> None:
    from bot.settings import DEFAULT_FLOWS_DIR

    shipped = (DEFAULT_FLOWS_DIR / "settings.yaml").read_text(encoding="utf-8")
    code, _ = await run_cli(tmp_path, "settings", "check", str(DEFAULT_FLOWS_DIR))
    assert code == 0
    broken = shipped.replace("closed_cases: 90d", "closed_cases: 3 months")
    broken = broken.replace("[nl, en, ar, tr, pl, uk, so, ti, rif]", "[nl, en, xx]")
    (tmp_path / "settings.yaml").write_text(broken, encoding="utf-8")
    process = await start_cli(tmp_path, "settings", "check", str(tmp_path))
    stdout, _ = await process.communicate()
    lines = stdout.decode().splitlines()
    assert process.returncode == 1 and len(lines) == 2
    assert "(languages): no catalog for xx" in lines[0]
    assert "(retention.closed_cases): write a duration" in lines[1]


async def test_bad_settings_file_stops_start_up_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("version: 1\nlanguages: [nl]\n", encoding="utf-8")
    code, stderr = await run_cli(tmp_path, "shell", FLOWS_DIR=str(tmp_path))
    assert code == 2
    assert_one_line(stderr, "The settings file is invalid")
    assert "(organisation): Field required" in stderr
