"""The async engine and transactions, on SQLite (embedded) or PostgreSQL (production)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import weakref
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage import migrations
from storage.unit_of_work import UnitOfWork

SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_POOL_SIZE = 20  # as many as before with overflow; more would only queue in the server
SQLITE_POOL_SIZE = 5  # one writer at a time anyway (BEGIN IMMEDIATE): the rest wait in the pool


ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")  # parsed once, not per update


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message says where and why."""


def safe_url(url: str) -> str:
    """The URL with any password hidden, fit for a log line or an error message."""
    return make_url(url).render_as_string(hide_password=True)


def advisory_key(lock: str) -> int:
    """A signed 64-bit key for pg_advisory_xact_lock from any string."""
    digest = hashlib.blake2b(lock.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _reason(error: BaseException) -> str:
    inner = getattr(error, "orig", None) or error
    text_ = str(inner).strip().splitlines()[0] if str(inner).strip() else type(inner).__name__
    return text_[:200]


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        # A fixed set of connections, kept open: an overflow connection was opened and closed
        # again for nearly every transaction under load. No pre-ping (BEGIN, a query and a
        # ROLLBACK per checkout): a connection that died is invalidated by its error, and the
        # update is tried again.
        options: dict[str, Any] = {"echo": echo}
        if self.dialect == "postgresql":
            options |= {"pool_size": POSTGRES_POOL_SIZE, "max_overflow": 0}
        elif make_url(url).database not in (None, "", ":memory:"):  # in memory: one connection
            options |= {"pool_size": SQLITE_POOL_SIZE, "max_overflow": 0}
        # Error messages must never carry the values of a statement (ids, texts).
        options["hide_parameters"] = True
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin_immediate)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._local_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        # SQLite has one writer at a time, and every transaction here writes (BEGIN
        # IMMEDIATE). Waiting for it in SQLite's busy handler means sleeping in steps of up
        # to 100 ms; this process's transactions queue here instead, and are woken the moment
        # the one before commits (the benchmark: about 40 % more updates/s under load). Other
        # processes (the shell) still meet the busy timeout.
        self._writer = asyncio.Lock() if self.dialect == "sqlite" else None

    @contextlib.asynccontextmanager
    async def transaction(
        self, lock: str | None = None, *, lock_in_first_statement: bool = False
    ) -> AsyncIterator[UnitOfWork]:
        """Commit when the block ends normally, roll back when it raises.

        With `lock`, transactions with the same key run one at a time: in this process by an
        asyncio lock, across processes by a PostgreSQL advisory lock held until commit. With
        `lock_in_first_statement`, the block's first statement takes that advisory lock
        itself (`UpdateLog.note` with `uow.advisory_key`): one round trip less per update.
        """
        async with contextlib.AsyncExitStack() as stack:
            if lock is not None:
                await stack.enter_async_context(self._local_lock(lock))
            await stack.enter_async_context(self._writing())
            session = await stack.enter_async_context(self._sessions())
            await stack.enter_async_context(session.begin())
            uow = UnitOfWork(session)
            if lock is not None and self.dialect == "postgresql":
                if lock_in_first_statement:
                    uow.advisory_key = advisory_key(lock)
                else:
                    await session.execute(ADVISORY_LOCK, {"key": advisory_key(lock)})
            yield uow

    @contextlib.asynccontextmanager
    async def transaction_holding(
        self, keys: Iterable[str]
    ) -> AsyncIterator[tuple[UnitOfWork, set[str]]]:
        """One transaction with the locks of those `keys` that are free now (a batch of
        tasks): a busy key is left out, never waited for, so a batch never deadlocks with
        an update. Yields the unit of work and the keys it holds."""
        async with contextlib.AsyncExitStack() as stack:
            held: set[str] = set()
            for key in sorted(set(keys)):
                local = self._local_lock(key)
                if not local.locked():
                    await stack.enter_async_context(local)  # free: acquired without waiting
                    held.add(key)
            await stack.enter_async_context(self._writing())
            session = await stack.enter_async_context(self._sessions())
            await stack.enter_async_context(session.begin())
            if held and self.dialect == "postgresql":
                by_key: dict[int, list[str]] = {}
                for key in held:
                    by_key.setdefault(advisory_key(key), []).append(key)
                got = await session.execute(
                    text(
                        "SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k "
                        "WHERE pg_try_advisory_xact_lock(k)"
                    ),
                    {"keys": sorted(by_key)},
                )
                free = {int(k) for k in got.scalars()}
                held = {key for number in free for key in by_key[number]}
            yield UnitOfWork(session), held

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        """SQLite: this process's turn to write; at most the busy timeout, as SQLite's own
        wait was (a transaction opened inside another would wait forever otherwise)."""
        if self._writer is None:
            yield
            return
        # Not asyncio.wait_for: before Python 3.12 it can be cancelled just after the lock was
        # taken for it, and the lock is then never released (it hung a stopping bot). Here a
        # lock is either not taken, or released when the block ends, whatever happens.
        async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
            await self._writer.acquire()
        try:
            yield
        finally:
            self._writer.release()

    def _local_lock(self, key: str) -> asyncio.Lock:
        found = self._local_locks.get(key)
        if found is None:
            found = asyncio.Lock()
            self._local_locks[key] = found
        return found

    async def ping(self) -> None:
        folder = self._sqlite_folder()
        if folder is not None and not folder.is_dir():
            # Checked here: a failed SQLite open leaves a driver thread behind at exit.
            raise DatabaseUnavailable(
                f"cannot reach the database at {safe_url(self.url)} "
                f"(the folder {folder} does not exist)"
            )
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (OSError, OperationalError, DBAPIError) as error:
            raise DatabaseUnavailable(
                f"cannot reach the database at {safe_url(self.url)} ({_reason(error)})"
            ) from error

    def _sqlite_folder(self) -> Path | None:
        if self.dialect != "sqlite":
            return None
        database = make_url(self.url).database
        if not database or database == ":memory:":
            return None
        return Path(database).resolve().parent

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (Alembic, batch mode on SQLite)."""
        await self.ping()
        async with self.engine.begin() as connection:
            await connection.run_sync(migrations.upgrade_connection)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling starts transactions late (not before a SELECT),
    # so a read-then-write could act on stale rows; SQLAlchemy issues BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the shell and the bot read while one of them writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take the write lock at BEGIN: a claim's SELECT and UPDATE see the same rows."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")
