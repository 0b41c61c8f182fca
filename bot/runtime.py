"""Building the parts of a running bot from the settings, for every channel."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

from bot.errors import StartupError
from bot.i18n import Catalogs
from bot.services.clock import Clock, SystemClock
from bot.services.coordinator_settings import SettingsFile, SettingsFileError
from bot.services.languages import LANGUAGES
from bot.services.maintenance import register_maintenance
from bot.services.privacy import IdentityVault
from bot.services.reception import Reception
from bot.services.scheduling import TaskRegistry
from bot.settings import Settings
from storage import Database, DatabaseUnavailable
from storage.migrations import is_current


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
    reception: Reception

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
    except DatabaseUnavailable as error:
        await database.dispose()
        raise StartupError(f"{error}: check DATABASE_URL and that the server runs.") from None
    except StartupError:
        await database.dispose()
        raise
    return database


async def open_core(settings: Settings, clock: Clock | None = None) -> Core:
    coordinator = load_coordinator_settings(settings)
    catalogs = Catalogs(list(LANGUAGES))
    database = await open_database(settings)
    vault = IdentityVault(settings.secret_key.get_secret_value())
    tasks = TaskRegistry()
    register_maintenance(tasks, coordinator)
    return Core(
        settings=settings,
        database=database,
        clock=clock or SystemClock(),
        vault=vault,
        catalogs=catalogs,
        coordinator=coordinator,
        tasks=tasks,
        reception=Reception(vault, catalogs, lambda: coordinator.current.languages),
    )
