"""Backups: a consistent copy of the database, and loading one into an empty database.

SQLite through its online backup API, PostgreSQL through pg_dump and pg_restore (custom
format). SECRET_KEY is not in the database, so it is in no backup either.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.database import Database, DatabaseUnavailable, safe_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# asyncpg's `ssl=` spellings, as libpq's sslmode.
SSL_MODES = {"true": "require", "false": "disable"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line and says why."""


def _one_line(text_: str) -> str:
    lines = [line.strip() for line in text_.strip().splitlines() if line.strip()]
    return (lines[0] if lines else "no message")[:300]


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up or restored")
    return Path(database)


@contextlib.contextmanager
def _new_file(target: Path) -> Iterator[Path]:
    """A private file beside `target` that replaces it only when complete."""
    partial = target.with_name(target.name + ".partial")
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    except OSError as error:
        raise BackupError(f"cannot write {target}: {error.strerror}") from None
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _kind(file: Path) -> str:
    try:
        with file.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"cannot read {file}: {error.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{file} is not a backup made by `python -m bot backup`")


def _expect(file: Path, dialect: str) -> None:
    kind = _kind(file)
    if kind != dialect:
        names = {"sqlite": "an SQLite", "postgresql": "a PostgreSQL"}
        raise BackupError(
            f"{file} is {names[kind]} backup, but DATABASE_URL points at {names[dialect]} "
            "database: restore it into the same kind of database"
        )


async def backup(url: str, file: Path) -> None:
    """Write a consistent copy of the database at `url` to `file` (replaced when complete)."""
    dialect = make_url(url).get_backend_name()
    with _new_file(file) as partial:
        if dialect == "sqlite":
            await asyncio.to_thread(_sqlite_backup, _sqlite_file(url), partial)
        else:
            await _run("pg_dump", ["--format=custom", "--no-password", f"--file={partial}"], url)


async def restore(url: str, file: Path) -> None:
    """Load a backup into the database at `url`, which must have no tables yet."""
    dialect = make_url(url).get_backend_name()
    _expect(file, dialect)
    tables = await existing_tables(url)
    if tables:
        raise BackupError(
            f"the database at {safe_url(url)} already has {len(tables)} tables: restore only "
            "into an empty database (create a new one, or drop this one first)"
        )
    if dialect == "sqlite":
        await asyncio.to_thread(_sqlite_restore, file, _sqlite_file(url))
        return
    database = make_url(url).database or ""
    options = ["--no-owner", "--no-privileges", "--no-password", "--exit-on-error"]
    await _run(
        "pg_restore", [*options, "--single-transaction", f"--dbname={database}", str(file)], url
    )


async def existing_tables(url: str) -> list[str]:
    if make_url(url).get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        return await asyncio.to_thread(_sqlite_tables, path) if path.exists() else []
    database = Database(url)
    try:
        await database.ping()
        async with database.engine.connect() as connection:
            found = await connection.execute(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            )
            return [str(name) for name in found.scalars()]
    except DatabaseUnavailable as error:
        raise BackupError(str(error)) from None
    finally:
        await database.dispose()


def _sqlite_tables(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        try:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            return [str(name) for (name,) in rows]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path} is not an SQLite database ({error})") from None


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    with (
        contextlib.closing(sqlite3.connect(source)) as reading,
        contextlib.closing(sqlite3.connect(target)) as writing,
    ):
        reading.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # One step: the whole copy is read in one transaction, so it is consistent.
        reading.backup(writing)
        # One self-contained file, without a write-ahead log beside it.
        writing.execute("PRAGMA journal_mode=DELETE")


def _sqlite_restore(backup_file: Path, target: Path) -> None:
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    with contextlib.closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as reading:
        try:
            reading.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.DatabaseError:
            raise BackupError(f"{backup_file} is not a backup of this bot's database") from None
        with contextlib.closing(sqlite3.connect(target)) as writing:
            reading.backup(writing)


def libpq_environment(url: str) -> dict[str, str]:
    """Where pg_dump and pg_restore connect: the password goes here, never on a command line."""
    parts = make_url(url)
    found = {
        "PGHOST": parts.host,
        "PGPORT": str(parts.port) if parts.port else None,
        "PGUSER": parts.username,
        "PGPASSWORD": parts.password,
        "PGDATABASE": parts.database,
    }
    query = {key: str(value) for key, value in parts.query.items()}
    if "host" in query:  # a Unix socket folder
        found["PGHOST"] = query["host"]
    ssl = query.get("sslmode") or query.get("ssl")
    if ssl:
        found["PGSSLMODE"] = SSL_MODES.get(ssl.lower(), ssl)
    return {key: str(value) for key, value in found.items() if value}


async def _run(program: str, arguments: list[str], url: str) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} is not installed: install the PostgreSQL client tools of the server's "
            "version (Debian: apt install postgresql-client)"
        )
    environment = {**os.environ, **libpq_environment(url)}
    process = await asyncio.create_subprocess_exec(
        executable,
        *arguments,
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    if process.returncode != 0:
        reason = _one_line(stderr.decode(errors="replace"))
        raise BackupError(f"{program} failed (exit {process.returncode}): {reason}")
