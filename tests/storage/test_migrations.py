"""Migrations upgrade an empty database, on SQLite and PostgreSQL, and match the tables."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlmodel import SQLModel

import storage.tables  # noqa: F401
from storage import Database
from storage.migrations import downgrade_connection, is_current, upgrade_connection


async def test_upgrade_creates_every_table_and_is_current(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert not await is_current(db.engine)
        await db.upgrade()
        assert await is_current(db.engine)
        async with db.engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        assert set(SQLModel.metadata.tables) <= tables
        await db.upgrade()  # a second upgrade is a no-op
    finally:
        await db.dispose()


async def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.upgrade()
        async with db.engine.begin() as connection:
            await connection.run_sync(downgrade_connection, "base")
        async with db.engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        assert not (set(SQLModel.metadata.tables) & tables)
        async with db.engine.begin() as connection:
            await connection.run_sync(upgrade_connection)
        assert await is_current(db.engine)
    finally:
        await db.dispose()


async def test_models_and_migrations_agree(database_url: str) -> None:
    """Autogenerate finds nothing to do: every table change came with a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    db = Database(database_url)
    try:
        await db.upgrade()
        async with db.engine.connect() as connection:
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), SQLModel.metadata)
            )
        assert diff == []
    finally:
        await db.dispose()
