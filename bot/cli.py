"""The command line: run, shell, db, backup, restore, i18n, flows, settings."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from bot.errors import StartupError
from bot.i18n import (
    LOCALES_DIR,
    compile_catalogs,
    extract_console_template,
    extract_template,
    update_catalogs,
    update_console_catalogs,
    writing_catalogs,
)
from bot.logs import configure_logging
from bot.runtime import open_core, open_database, settle_memory
from bot.services.clock import SystemClock
from bot.services.coordinator_settings import SETTINGS_FILE, SettingsFile, SettingsFileError
from bot.services.languages import LANGUAGES
from bot.settings import Settings, load_settings
from storage import Database, DatabaseUnavailable


async def run(settings: Settings, *, take_over: bool = False) -> None:
    """Go live: polling without WEBHOOK_URL, the webhook server with it."""
    # Imported here: the terminal chat and the other commands need no Telegram stack.
    from bot.polling import Poller
    from bot.telegram import TelegramBot
    from bot.web import web_server

    core = await open_core(settings)
    telegram = None
    try:
        telegram = TelegramBot(core)
        await telegram.start()
        async with web_server(telegram):
            settle_memory()
            if settings.webhook_url:
                await asyncio.Event().wait()
            else:
                await Poller(telegram, take_over=take_over).run()
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


def _enabled_languages(settings: Settings) -> list[str] | None:
    """The coordinator's languages; None (and why, printed) when the settings file is bad."""
    try:
        return SettingsFile(settings.flows_dir).current.languages
    except SettingsFileError as error:
        print(f"error: {error} (see `python -m bot settings check`)")
        return None


def flows_check(folder: str | None) -> int:
    """Every problem of the flows with file, node and reason; non-zero on errors."""
    from flows.library import check_folder
    from flows.problems import ERROR

    settings = load_settings()
    path = Path(folder) if folder else settings.flows_dir
    languages = _enabled_languages(settings)
    if languages is None:
        return 1
    flows, _, problems = check_folder(path, LOCALES_DIR, languages)
    for problem in problems:
        print(problem)
    errors = sum(p.level == ERROR for p in problems)
    print(f"{len(flows)} flows, {errors} errors, {len(problems) - errors} warnings")
    return 1 if errors else 0


def flows_measure(folder: str | None) -> int:
    """Words, taps and voice prompts per language against the limits; non-zero over them."""
    from bot.flow_measures import flows_measure as measure

    settings = load_settings()
    languages = _enabled_languages(settings)
    if languages is None:
        return 1
    return measure(settings, Path(folder) if folder else settings.flows_dir, languages)


def flows_export(folder: str) -> int:
    """The current flows, with the voice prompts recorded with /record, into `folder`."""
    from bot.flow_export import export_flows

    settings = load_settings()
    languages = _enabled_languages(settings)
    if languages is None:
        return 1
    return export_flows(settings, Path(folder), languages)


def flows_reload() -> int:
    """After editing flow files: check them, then publish to the database every file whose
    content is new, with its texts merged into the published catalogs (new ones
    untranslated, edited ones fuzzy). Every running bot serves it within seconds; a set
    with errors is not published and the last good version keeps serving."""
    checked = flows_check(None)
    if checked:
        return checked
    return asyncio.run(_publish_flow_files(load_settings()))


async def _publish_flow_files(settings: Settings) -> int:
    core = await open_core(settings)  # its start publishes the files whose content is new
    try:
        published = core.published_flows.from_files
    finally:
        await core.close()
    for name, version in sorted(published.items()):
        print(f"published from files: {name} (version {version})")
    if not published:
        print("no flow file has changed since it was published: nothing to publish")
    return 0


def i18n_update() -> None:
    """Extract every text of the code and the flows, and merge it into every catalog."""
    with writing_catalogs():
        extract_template()
        update_catalogs(list(LANGUAGES))
        extract_console_template()
        update_console_catalogs()


def i18n_status() -> int:
    """Coverage and review per language, of the catalogs as published (the database's, what
    every instance serves) where there are any, else of the files in locales/."""
    import io

    from babel.messages.pofile import read_po
    from sqlalchemy.exc import SQLAlchemyError

    from bot.catalog_checks import coverage, read_catalog, reviewed
    from bot.flow_export import read_database
    from bot.flow_measures import recorded_prompts
    from bot.i18n import _locale
    from bot.services.voice_prompts import coverage as voice_coverage
    from bot.settings import sqlite_path
    from flows.flowset import FlowSet
    from flows.library import read_flows

    settings = load_settings()
    flows, _ = read_flows(settings.flows_dir)
    recorded, source = asyncio.run(recorded_prompts(settings))
    published: dict[str, str] = {}
    path = sqlite_path(settings.database_url)
    in_memory = path is None and settings.database_url.startswith("sqlite")
    if not in_memory and (path is None or path.is_file()):  # looking makes no SQLite file
        try:
            published = asyncio.run(read_database(settings)).catalogs
        except (StartupError, SQLAlchemyError, OSError) as error:
            reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            print(f"catalogs read from the files: {reason}", file=sys.stderr)
    for code in LANGUAGES:
        text = published.get(code)
        catalog = (
            read_catalog(code)
            if text is None
            else read_po(io.BytesIO(text.encode("utf-8")), locale=_locale(code))
        )
        done, total = coverage(catalog)
        per_flow = []
        for flow in flows:
            f_done, f_total = coverage(catalog, f"{flow.name}:")
            per_flow.append(f"{flow.name} {100 * f_done // max(f_total, 1)}%")
        review = "reviewed by a native speaker" if reviewed(catalog) else "not reviewed yet"
        voiced, spoken = voice_coverage(FlowSet({f.name: f for f in flows}), recorded, code)
        print(
            f"{code:4} {100 * done // max(total, 1):3}%  {review:28}  "
            f"voice {voiced:>3}/{spoken:<3}  {', '.join(per_flow)}"
        )
    print(f"voice prompts: {source}")
    return 0


def i18n_check() -> int:
    from bot.catalog_checks import check_catalog, read_catalog

    problems = [p for code in LANGUAGES for p in check_catalog(code, read_catalog(code))]
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problems")
    return 1 if problems else 0


async def invite(settings: Settings, args: argparse.Namespace) -> None:
    """Print a one-time deep link that registers whoever opens it as a VP, a coordinator or
    a professional of a partner organisation."""
    from bot.services.bot_profile import deep_link
    from bot.services.coordinator_settings import parse_settings
    from bot.services.privacy import IdentityVault
    from bot.services.published_settings import KIND
    from bot.services.staff import COORDINATOR, PARTNER, TOPICS, VP, Staff
    from storage.people import Profile

    role = {"vp": VP, "partner": PARTNER}.get(args.command, COORDINATOR)
    languages = tuple(filter(None, (getattr(args, "languages", "") or "").split(",")))
    topics = tuple(filter(None, (getattr(args, "topics", "") or "").split(",")))
    unknown = [code for code in languages if code not in LANGUAGES]
    if unknown or (role == VP and not languages):
        raise StartupError(f"--languages: give codes from {', '.join(LANGUAGES)}, e.g. ar,nl")
    if [topic for topic in topics if topic not in TOPICS]:
        raise StartupError(f"--topics: choose from {', '.join(TOPICS)}")
    profile = Profile(
        role,
        args.name.strip(),
        languages,
        getattr(args, "gender", "") or "",
        topics,
        getattr(args, "capacity", 3),
        getattr(args, "partner", "") or "",
    )
    core_settings = SettingsFile(settings.flows_dir).current
    database = await open_database(settings)
    try:
        now = SystemClock().now()
        async with database.transaction() as uow:
            try:
                link_base = await deep_link(uow, "")
            except LookupError as error:
                raise StartupError(f"{error}.") from None
            published = await uow.published.newest(KIND)
            if published is not None:  # what the console published wins over the file
                core_settings = parse_settings(published.content, settings.flows_dir)
            if role == PARTNER and core_settings.partner(profile.partner_id) is None:
                known = ", ".join(p.id for p in core_settings.partners) or "none yet"
                raise StartupError(
                    f"--partner: no partner {profile.partner_id!r}; the partners are: {known} "
                    "(add them in the console, Partners)"
                )
            code, expires = await Staff(
                IdentityVault(settings.secret_key.get_secret_value())
            ).invite(uow, profile, now, core_settings.timings.invite_valid)
    finally:
        await database.dispose()
    local = expires.astimezone(settings.timezone).strftime("%Y-%m-%d %H:%M")
    what = {VP: "vertrouwenspersoon", PARTNER: f"professional of {profile.partner_id}"}
    print(f"Invitation for {profile.name} ({what.get(role, role)}), valid once until {local}:")
    print(link_base + code)
    print("Send it to them privately: whoever opens it first is registered.")


async def console_link(settings: Settings, coordinator: int | None) -> None:
    """Print a one-time console login link for a coordinator, for the operator to pass on:
    under CONSOLE_URL, or this machine's own address when it is unset."""
    from bot.services.console_access import ConsoleAccess
    from bot.services.privacy import IdentityVault

    timings = SettingsFile(settings.flows_dir).current.console
    local = f"http://{'127.0.0.1' if settings.host in ('0.0.0.0', '::') else settings.host}"
    base = settings.console_url or f"{local}:{settings.port}"
    database = await open_database(settings)
    try:
        now = SystemClock().now()
        async with database.transaction() as uow:
            coordinators = [p for p in await uow.people.coordinators() if p.active]
            chosen = [p for p in coordinators if coordinator in (None, p.id)]
            if not coordinators:
                raise StartupError(
                    "There is no active coordinator yet: invite one with "
                    "`python -m bot coordinator invite --name NAME`."
                )
            if len(chosen) != 1:
                listed = ", ".join(f"{p.id} ({p.name})" for p in coordinators)
                raise StartupError(f"Choose one with --coordinator N: {listed}.")
            access = ConsoleAccess(
                IdentityVault(settings.secret_key.get_secret_value()), lambda: timings, base
            )
            link = await access.link(uow, chosen[0], now)
    finally:
        await database.dispose()
    minutes = access.link_minutes
    print(
        f"Console login for {chosen[0].name} (coordinator {chosen[0].id}), once, within "
        f"{minutes} minutes:"
    )
    print(link)
    if not settings.console_url:
        print("CONSOLE_URL is not set: this link works on this machine only.")


def run_simulation(name: str, seed: int, days: int) -> int:
    from dataclasses import replace

    from bot.simulate import SCENARIOS, simulate

    scenario = SCENARIOS.get(name.replace("-", " "))
    if scenario is None:
        names = ", ".join(s.replace(" ", "-") for s in SCENARIOS)
        print(f"tussenin: no scenario {name!r}; choose from {names}", file=sys.stderr)
        return 2
    if days < 1:
        print("tussenin: --days must be at least 1", file=sys.stderr)
        return 2
    configure_logging([], logging.WARNING)
    report = asyncio.run(simulate(replace(scenario, days=days), seed))
    print("\n".join(report.lines()))
    return 0


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
    run_parser = commands.add_parser(
        "run", help="run the Telegram bot (polling, or webhook with WEBHOOK_URL)"
    )
    run_parser.add_argument(
        "--take-over",
        action="store_true",
        help="poll even though a webhook is registered for the token (removes the webhook)",
    )
    commands.add_parser("shell", help="chat with the bot as a parent in this terminal")
    commands.add_parser(
        "backup", help="write a consistent copy of the database to FILE (never SECRET_KEY)"
    ).add_argument("file", help="the backup file to write (replaced when complete)")
    commands.add_parser(
        "restore", help="load a backup into an empty database, and check its SECRET_KEY"
    ).add_argument("file", help="a file written by `python -m bot backup`")
    db = commands.add_parser("db", help="database commands").add_subparsers(
        dest="action", required=True
    )
    db.add_parser("upgrade", help="apply all migrations")
    i18n = commands.add_parser("i18n", help="translation commands").add_subparsers(
        dest="action", required=True
    )
    i18n.add_parser("compile", help="compile locales/*/LC_MESSAGES/messages.po")
    i18n.add_parser("update", help="extract all texts and merge them into every catalog")
    i18n.add_parser("status", help="coverage per language and per flow, and reviews")
    i18n.add_parser("check", help="script, numbers, commands and placeholders of translations")
    i18n.add_parser(
        "export", help="write the catalogs as published (the database's) to a folder"
    ).add_argument("folder", help="the folder to write to (not locales/)")
    flows = commands.add_parser("flows", help="the coordinator's flows").add_subparsers(
        dest="action", required=True
    )
    flows_check_parser = flows.add_parser("check", help="validate the flows (default FLOWS_DIR)")
    flows_check_parser.add_argument("folder", nargs="?", help="a folder of flow files")
    flows.add_parser(
        "reload", help="check the flow files and publish the changed ones to the database"
    )
    flows.add_parser(
        "export", help="write the flows and their recorded voice prompts (.ogg) to a folder"
    ).add_argument("folder", help="the folder to write to (not FLOWS_DIR)")
    flows.add_parser(
        "measure", help="words, taps and voice prompts per language; non-zero over the limits"
    ).add_argument("folder", nargs="?", help="a folder of flow files")
    for role, what in (
        ("vp", "a vertrouwenspersoon"),
        ("coordinator", "a coordinator"),
        ("partner", "a professional of a partner organisation (duo-coaching)"),
    ):
        people = commands.add_parser(role, help=f"{what}: invitations").add_subparsers(
            dest="action", required=True
        )
        invite_parser = people.add_parser("invite", help=f"print a one-time link for {what}")
        invite_parser.add_argument("--name", required=True, help="their name (staff only)")
        if role == "vp":
            invite_parser.add_argument("--languages", required=True, help="e.g. ar,nl")
            invite_parser.add_argument("--gender", required=True, choices=["f", "m"])
            invite_parser.add_argument("--topics", default="", help="e.g. school,money")
            invite_parser.add_argument(
                "--capacity", type=int, default=3, help="open cases at most (default 3)"
            )
        if role == "partner":
            invite_parser.add_argument(
                "--partner", required=True, help="the partner's id, e.g. cjg_zuidoost"
            )
    sim = commands.add_parser(
        "simulate", help="a week of synthetic cases on a virtual clock; prints SLA figures"
    )
    sim.add_argument(
        "--scenario",
        default="mixed",
        help="mixed (default), quick, nobody-answers, no-language-match: how the simulated VPs "
        "answer and which language the parents speak; referral: every case is referred to a "
        "partner and followed until care started (or stalled, or went unanswered)",
    )
    sim.add_argument("--seed", type=int, default=1, help="the same seed gives the same run")
    sim.add_argument("--days", type=int, default=7, help="days of new cases (default 7)")
    console = commands.add_parser("console", help="the coordinators' web console")
    link = console.add_subparsers(dest="action", required=True).add_parser(
        "link", help="print a one-time login link for a coordinator"
    )
    link.add_argument(
        "--coordinator", type=int, help="their number (needed when there are several)"
    )
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


async def _main_async(command: str, settings: Settings, args: argparse.Namespace) -> None:
    _terminate_on_sigterm()
    if command in ("vp", "coordinator", "partner"):
        await invite(settings, args)
    if command == "console":
        await console_link(settings, args.coordinator)
    if command == "run":
        await run(settings, take_over=getattr(args, "take_over", False))
    elif command == "shell":
        await shell(settings)
    elif command == "db":
        await db_upgrade(settings)
    elif command in ("backup", "restore"):
        from bot.backups import backup_database, restore_database

        chosen = backup_database if command == "backup" else restore_database
        await chosen(settings, Path(args.file))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "i18n":
            if args.action == "compile":
                i18n_compile()
            elif args.action == "update":
                i18n_update()
            elif args.action == "status":
                return i18n_status()
            elif args.action == "check":
                return i18n_check()
            elif args.action == "export":
                from bot.flow_export import export_catalogs

                return export_catalogs(load_settings(), Path(args.folder))
            return 0
        if args.command == "flows" and args.action == "export":
            return flows_export(args.folder)
        if args.command == "flows" and args.action == "measure":
            return flows_measure(args.folder)
        if args.command == "flows":
            return flows_check(args.folder) if args.action == "check" else flows_reload()
        if args.command == "settings":
            return settings_check(args.folder)
        if args.command == "simulate":
            return run_simulation(args.scenario, args.seed, args.days)
        settings = load_settings()
        command = args.command or ("run" if settings.telegram_token else "shell")
        token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
        # The terminal chat shows only warnings: its screen belongs to the conversation.
        level = logging.WARNING if command == "shell" else logging.INFO
        metrics = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
        secrets = [token, settings.secret_key.get_secret_value(), metrics]
        configure_logging(secrets, level, settings.log_format)
        with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
            asyncio.run(_main_async(command, settings, args))
    except StartupError as error:
        print(f"tussenin: {error}", file=sys.stderr)
        return 2
    return 0
