"""`python -m bot backup FILE` and `python -m bot restore FILE`: storage/backup.py, checked."""

from __future__ import annotations

from pathlib import Path

from bot.errors import StartupError
from bot.runtime import check_secret_key
from bot.services.polling_lease import LEASE_KEY as POLLING_LEASE
from bot.settings import Settings
from storage import Database, DatabaseUnavailable
from storage.backup import BackupError, backup, restore
from storage.database import safe_url


async def backup_database(settings: Settings, file: Path) -> None:
    try:
        await backup(settings.database_url, file)
    except BackupError as error:
        raise StartupError(f"no backup made: {error}.") from None
    print(f"backed up {safe_url(settings.database_url)} to {file}")
    print("SECRET_KEY is not in it: keep the key apart from the backups.")


async def restore_database(settings: Settings, file: Path) -> None:
    """Load the backup, then check it belongs to this SECRET_KEY before anyone starts it."""
    try:
        await restore(settings.database_url, file)
    except BackupError as error:
        raise StartupError(f"not restored: {error}.") from None
    database = Database(settings.database_url)
    try:
        async with database.transaction() as uow:
            # The poller that ran when the backup was made does not run on this database
            # (dropped first: with the right key given later, it must start).
            await uow.bot_facts.delete(POLLING_LEASE)
        await check_secret_key(settings, database)
    except DatabaseUnavailable as error:
        raise StartupError(f"restored {file}, but it cannot be checked: {error}.") from None
    except StartupError as error:
        raise StartupError(f"restored {file}, but {error}") from None
    finally:
        await database.dispose()
    print(f"restored {file} into {safe_url(settings.database_url)}; it belongs to this SECRET_KEY")
