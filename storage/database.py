"""The async engine and transactions, on SQLite (embedded) or PostgreSQL (production)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage import migrations
from storage.unit_of_work import UnitOfWork

SQLITE_BUSY_TIMEOUT_MS = 10_000


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message says where and why."""


def safe_url(url: str) -> str:
    """The URL with any password hidden, fit for a log line or an error message."""
    return make_url(url).render_as_string(hide_password=True)


def _reason(error: BaseException) -> str:
    inner = getattr(error, "orig", None) or error
    text_ = str(inner).strip().splitlines()[0] if str(inner).strip() else type(inner).__name__
    return text_[:200]


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        options: dict[str, Any] = {"echo": echo}
        if self.dialect == "postgresql":
            options |= {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """Commit when the block ends normally, roll back when it raises."""
        async with self._sessions() as session, session.begin():
            yield UnitOfWork(session)

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (OSError, OperationalError, DBAPIError) as error:
            raise DatabaseUnavailable(
                f"cannot reach the database at {safe_url(self.url)} ({_reason(error)})"
            ) from error

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (Alembic, batch mode on SQLite)."""
        await self.ping()
        async with self.engine.begin() as connection:
            await connection.run_sync(migrations.upgrade_connection)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the shell and the bot read while one of them writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
