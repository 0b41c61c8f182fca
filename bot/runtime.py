"""Building the parts of a running bot from the settings, for every channel."""

from __future__ import annotations

import gc
import os
import socket
import uuid
from dataclasses import dataclass

from bot.errors import StartupError
from bot.i18n import Catalogs
from bot.services.buttons import ButtonTokens
from bot.services.case_card import CaseCard
from bot.services.cases import CaseDesk, register_case_tasks
from bot.services.clock import Clock, SystemClock
from bot.services.console_access import ConsoleAccess
from bot.services.continuity import Continuity, register_continuity_tasks
from bot.services.conversations import Conversations
from bot.services.coordinator_settings import SettingsFile, SettingsFileError
from bot.services.flood import Flood, register_flood_tasks
from bot.services.flow_library import FlowLibrary
from bot.services.flow_tasks import register_flow_tasks
from bot.services.languages import LANGUAGES
from bot.services.leaving import Leaving
from bot.services.maintenance import register_maintenance
from bot.services.privacy import AnotherSecretKey, IdentityVault, claim_database
from bot.services.professionals import Professionals
from bot.services.published_catalogs import PublishedCatalogs
from bot.services.published_flows import PublishedFlows
from bot.services.published_settings import PublishedSettings
from bot.services.reception import Reception
from bot.services.referrals import Referrals, register_referral_tasks
from bot.services.scheduling import TaskRegistry
from bot.services.staff import Staff
from bot.services.urgent import UrgentLadder, register_urgent_tasks
from bot.settings import Settings, sqlite_path
from flows.problems import FlowError
from storage import Database, DatabaseUnavailable
from storage.migrations import is_current

YOUNG_COLLECTION_EVERY = 10_000  # allocations (CPython's default: 700)


def settle_memory() -> None:
    """Once started: what was loaded (flows, catalogs, the libraries, their caches) lives as
    long as the process, so it is moved out of the garbage collector's sight. Else every
    full collection under load walks all of it again; the profile showed them."""
    gc.collect()
    gc.freeze()
    # An update makes thousands of short-lived objects (PTB's, SQLAlchemy's): collected at
    # PTB's and CPython's default of every 700 allocations, the young generation was
    # walked several times per update.
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])


def instance_name() -> str:
    """Names this process in leases, so a crashed instance's work can be told apart."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Core:
    """What every channel shares: storage, the clock, the coordinator's settings, services."""

    settings: Settings
    database: Database
    clock: Clock
    vault: IdentityVault
    catalogs: Catalogs
    coordinator: SettingsFile
    tasks: TaskRegistry
    flows: FlowLibrary
    reception: Reception
    leaving: Leaving
    flood: Flood
    console: ConsoleAccess
    published_settings: PublishedSettings
    published_catalogs: PublishedCatalogs
    published_flows: PublishedFlows

    async def close(self) -> None:
        await self.database.dispose()


def load_coordinator_settings(settings: Settings) -> SettingsFile:
    try:
        return SettingsFile(settings.flows_dir)
    except SettingsFileError as error:
        raise StartupError(f"The settings file is invalid: {error}") from None


async def open_database(settings: Settings) -> Database:
    """Check the database; the embedded SQLite default upgrades itself."""
    database = Database(settings.database_url)
    try:
        if settings.is_postgres:
            await database.ping()
            if not await is_current(database.engine):
                raise StartupError(
                    "The database schema is not up to date: run `python -m bot db upgrade`."
                )
        else:
            await database.upgrade()
        await check_secret_key(settings, database)
    except DatabaseUnavailable as error:
        await database.dispose()
        raise StartupError(f"{error}: check DATABASE_URL and that the server runs.") from None
    except StartupError:
        await database.dispose()
        raise
    return database


async def check_secret_key(settings: Settings, database: Database) -> None:
    """A database made with another SECRET_KEY stops the start with one line."""
    vault = IdentityVault(settings.secret_key.get_secret_value())
    try:
        async with database.transaction() as uow:
            await claim_database(uow, vault, SystemClock().now())
    except AnotherSecretKey:
        raise StartupError(another_key(settings)) from None


def another_key(settings: Settings) -> str:
    where = sqlite_path(settings.database_url)
    kept = f" (without SECRET_KEY set, the bot uses the key in {where}.secret)" if where else ""
    return (
        "this database was made with another SECRET_KEY: start the bot with the key it was made "
        f"with{kept}; with any other key its parents can be neither read nor reached."
    )


def load_flows(settings: Settings, coordinator: SettingsFile) -> FlowLibrary:
    rtl = frozenset(code for code, language in LANGUAGES.items() if language.rtl)
    try:
        return FlowLibrary(settings.flows_dir, lambda: coordinator.current.languages, rtl)
    except FlowError as error:
        first = error.problems[0]
        more = f" (and {len(error.problems) - 1} more: run `python -m bot flows check`)"
        raise StartupError(
            f"The flows are invalid: {first}{more if len(error.problems) > 1 else ''}"
        ) from None


async def open_core(settings: Settings, clock: Clock | None = None) -> Core:
    coordinator = load_coordinator_settings(settings)
    catalogs = Catalogs(list(LANGUAGES))
    library = load_flows(settings, coordinator)
    database = await open_database(settings)
    vault = IdentityVault(settings.secret_key.get_secret_value())
    cases = CaseDesk(vault, catalogs, lambda: coordinator.current, settings.timezone)
    leaving = Leaving(cases)
    ladder = UrgentLadder(catalogs, cases, lambda: coordinator.current)
    referrals = Referrals(vault, catalogs, cases, lambda: coordinator.current, settings.timezone)
    conversations = Conversations(
        vault, library, ButtonTokens(vault.key("buttons")), cases, referrals
    )
    tasks = TaskRegistry()
    register_maintenance(tasks, coordinator)
    register_flow_tasks(
        tasks,
        conversations,
        vault,
        lambda now: coordinator.current.quiet_hours.until(now, settings.timezone),
    )
    register_case_tasks(tasks, cases)
    register_referral_tasks(tasks, referrals)
    continuity = Continuity(vault, catalogs, cases, lambda: coordinator.current, settings.timezone)
    register_continuity_tasks(tasks, continuity)
    register_urgent_tasks(tasks, ladder)
    flood = Flood(vault, catalogs, cases.relay, lambda: coordinator.current.flood)
    register_flood_tasks(tasks, flood)
    console = ConsoleAccess(vault, lambda: coordinator.current.console, settings.console_url)
    published_settings = PublishedSettings(
        coordinator, database, clock or SystemClock(), settings.timezone
    )
    published_catalogs = PublishedCatalogs(catalogs, library, database, clock or SystemClock())
    published_flows = PublishedFlows(library, published_catalogs, database, clock or SystemClock())
    try:
        await published_settings.start()
        await published_catalogs.start()
        await published_flows.start()
    except DatabaseUnavailable as error:
        await database.dispose()
        raise StartupError(f"{error}: check DATABASE_URL and that the server runs.") from None
    return Core(
        settings=settings,
        database=database,
        clock=clock or SystemClock(),
        vault=vault,
        catalogs=catalogs,
        coordinator=coordinator,
        tasks=tasks,
        flows=library,
        reception=Reception(
            vault,
            catalogs,
            lambda: coordinator.current.languages,
            conversations,
            Staff(vault),
            cases,
            leaving,
            ladder,
            console,
            CaseCard(
                vault, catalogs, cases, referrals, lambda: coordinator.current, settings.timezone
            ),
            referrals,
            Professionals(vault, catalogs, cases, lambda: coordinator.current, settings.timezone),
            continuity,
        ),
        leaving=leaving,
        flood=flood,
        console=console,
        published_settings=published_settings,
        published_catalogs=published_catalogs,
        published_flows=published_flows,
    )
