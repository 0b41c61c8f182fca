"""The command line: run, shell, db upgrade, i18n compile, settings check."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from bot.errors import StartupError
from bot.i18n import compile_catalogs
from bot.logs import configure_logging
from bot.runtime import open_core
from bot.services.coordinator_settings import SETTINGS_FILE, SettingsFile, SettingsFileError
from bot.settings import Settings, load_settings
from storage import Database, DatabaseUnavailable


async def run(settings: Settings) -> None:
    """Go live: polling without WEBHOOK_URL, the webhook server with it."""
    # Imported here: the terminal chat and the other commands need no Telegram stack.
    from bot.polling import Poller
    from bot.telegram import TelegramBot
    from bot.web import serve_webhook

    core = await open_core(settings)
    telegram = None
    try:
        telegram = TelegramBot(core)
        await telegram.start()
        if settings.webhook_url:
            await serve_webhook(telegram)
        else:
            await Poller(telegram).run()
    finally:
        if telegram is not None:
            await telegram.stop()
        await core.close()


async def shell(settings: Settings) -> None:
    from bot.shell import run_shell

    core = await open_core(settings)
    try:
        await run_shell(core)
    finally:
        await core.close()


async def db_upgrade(settings: Settings) -> None:
    database = Database(settings.database_url)
    try:
        await database.upgrade()
    except DatabaseUnavailable as error:
        raise StartupError(f"{error}: check DATABASE_URL and that the server runs.") from None
    finally:
        await database.dispose()
    print("database is up to date")


def i18n_compile() -> None:
    print("compiled:", " ".join(compile_catalogs()))


def settings_check(folder: str | None) -> int:
    """Check the coordinator's settings file; every problem on its own line."""
    path = Path(folder) if folder else load_settings().flows_dir
    try:
        SettingsFile(path)
    except SettingsFileError as error:
        for problem in error.problems:
            print(f"{path / SETTINGS_FILE}: {problem}")
        return 1
    print(f"{path / SETTINGS_FILE}: ok")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the Telegram bot (polling, or webhook with WEBHOOK_URL)")
    commands.add_parser("shell", help="chat with the bot as a parent in this terminal")
    db = commands.add_parser("db", help="database commands").add_subparsers(
        dest="action", required=True
    )
    db.add_parser("upgrade", help="apply all migrations")
    i18n = commands.add_parser("i18n", help="translation commands").add_subparsers(
        dest="action", required=True
    )
    i18n.add_parser("compile", help="compile locales/*/LC_MESSAGES/messages.po")
    checks = commands.add_parser("settings", help="the coordinator's settings file")
    check = checks.add_subparsers(dest="action", required=True).add_parser(
        "check", help="validate settings.yaml (default: the one in FLOWS_DIR)"
    )
    check.add_argument("folder", nargs="?", help="the folder holding settings.yaml")
    return parser


def _terminate_on_sigterm() -> None:
    """SIGTERM (from a process manager) stops the bot as Ctrl-C does."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


async def _main_async(command: str, settings: Settings) -> None:
    _terminate_on_sigterm()
    if command == "run":
        await run(settings)
    elif command == "shell":
        await shell(settings)
    elif command == "db":
        await db_upgrade(settings)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "i18n":
            i18n_compile()
            return 0
        if args.command == "settings":
            return settings_check(args.folder)
        settings = load_settings()
        command = args.command or ("run" if settings.telegram_token else "shell")
        token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
        # The terminal chat shows only warnings: its screen belongs to the conversation.
        level = logging.WARNING if command == "shell" else logging.INFO
        configure_logging([token, settings.secret_key.get_secret_value()], level)
        with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
            asyncio.run(_main_async(command, settings))
    except StartupError as error:
        print(f"tussenin: {error}", file=sys.stderr)
        return 2
    return 0
