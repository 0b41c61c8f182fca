"""Building the parts of a running bot from the settings, for every channel."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import StartupError
from bot.i18n import Catalogs
from bot.services.clock import Clock, SystemClock
from bot.services.languages import LANGUAGES
from bot.services.privacy import IdentityVault
from bot.services.reception import Reception
from bot.settings import Settings
from storage import Database, DatabaseUnavailable
from storage.migrations import is_current


@dataclass
class Core:
    """What every channel shares: storage, the clock and the services."""

    settings: Settings
    database: Database
    clock: Clock
    catalogs: Catalogs
    reception: Reception

    async def close(self) -> None:
        await self.database.dispose()


async def open_core(settings: Settings, clock: Clock | None = None) -> Core:
    """Check catalogs and database; the embedded SQLite default upgrades itself."""
    catalogs = Catalogs(list(LANGUAGES))
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
    vault = IdentityVault(settings.secret_key.get_secret_value())
    return Core(
        settings=settings,
        database=database,
        clock=clock or SystemClock(),
        catalogs=catalogs,
        reception=Reception(vault, catalogs),
    )
