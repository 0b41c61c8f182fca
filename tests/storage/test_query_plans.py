"""The plan test (#12): every statement the running bot issues while a parent walks the
real flows (and while its dispatcher sends and its task tick runs due tasks) is captured; on
a database seeded with 10,000 parents and analysed, none of them is a full scan of a table
that grows with the parents. SQLite: EXPLAIN QUERY PLAN says "SCAN <table>" (not of a
partial index); PostgreSQL: EXPLAIN (FORMAT JSON) has a "Seq Scan" on it.

The database's size makes the plans real ones: on a near-empty table PostgreSQL rightly
prefers a sequential scan, so the tables the walk reads most are seeded, and a table left
small is asked again with sequential scans off: could an index serve the statement?"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from bench.seeding import seed_due_tasks, seed_parents
from bot.services.maintenance import PURGE
from bot.services.task_kinds import FOLLOW_UP, NO_RESPONSE
from storage import Database
from storage.tables import CaseEventRow, CaseRow, ParentRow, ScheduledTask
from tests.botapi import FakeBotApi
from tests.conftest import TEST_SECRET_KEY
from tests.journeys import ask_a_question
from tests.live import backend, live_bot, migrated, settings_for
from tests.storage.statements import Statement, captured_statements

STORED = 10_000
DUE_TASKS = 20  # run by the tick while the statements are captured
# Tables that do not grow with the parents: staff, invites, facts, flow versions, the
# figures kept per week and language, and the voice prompts (at most one per flow node and
# language). Every other table does.
SMALL_TABLES = {
    "person",
    "invite",
    "bot_fact",
    "flow_version",
    "case_figures",
    "satisfaction",
    "voice_prompt",
}
GROWING = set(SQLModel.metadata.tables) - SMALL_TABLES
SQLITE_SCAN = re.compile(r"^SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?")
# Fewer rows than this after seeding: PostgreSQL rightly reads such a table whole, so there
# the question is whether an index could serve the statement (asked with seq scans off).
FEW_ROWS = 1_000


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(record_requests=False) as server:
        yield server


async def seed_history(url: str) -> None:
    """What the parents' past left besides (bench.seeding): a finished task per parent,
    and the case events of their cases."""
    now = datetime.now(UTC)
    parents, cases = ParentRow.__table__, CaseRow.__table__  # type: ignore[attr-defined]
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            hashes = (await connection.execute(select(parents.c.subject_hash))).scalars().all()
            case_ids = (await connection.execute(select(cases.c.id))).scalars().all()
            await connection.execute(
                insert(ScheduledTask.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "kind": FOLLOW_UP,
                        "due_at": now - timedelta(days=1),
                        "subject": subject,
                        "payload": "{}",
                        "status": "done",
                        "attempts": 1,
                        "created_at": now - timedelta(days=2),
                        "finished_at": now - timedelta(days=1),
                    }
                    for subject in hashes
                ],
            )
            await connection.execute(
                insert(CaseEventRow.__table__),  # type: ignore[attr-defined]
                [
                    {"case_id": case_id, "at": now, "kind": kind, "detail": ""}
                    for case_id in case_ids
                    for kind in ("opened", "closed")
                ],
            )
        await analyse(database)
    finally:
        await database.dispose()


async def analyse(database: Database) -> None:
    async with database.engine.connect() as connection:
        if database.dialect == "postgresql":
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("ANALYZE"))
        await connection.commit()


def partial_indexes() -> set[str]:
    """Indexes of only some rows (pending ones): reading all of one is no full scan."""
    return {
        index.name
        for table in SQLModel.metadata.tables.values()
        for index in table.indexes
        if index.name and index.dialect_options["sqlite"].get("where") is not None
    }


def sqlite_scans(url: str, statements: list[Statement]) -> Iterator[tuple[str, str]]:
    """(statement, plan line) for each full scan of a growing table."""
    partial = partial_indexes()
    connection = sqlite3.connect(str(make_url(url).database))
    try:
        for statement in statements:
            plan = connection.execute(
                f"EXPLAIN QUERY PLAN {statement.sql}", statement.parameters or ()
            ).fetchall()
            for *_, detail in plan:
                found = SQLITE_SCAN.match(detail)
                if found and found.group(1) in GROWING and found.group(2) not in partial:
                    yield statement.sql, detail
    finally:
        connection.close()


def _seq_scans(node: dict[str, Any]) -> Iterator[str]:
    if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in GROWING:
        yield f"Seq Scan on {node['Relation Name']}"
    for child in node.get("Plans", []):
        yield from _seq_scans(child)


async def postgres_scans(url: str, statements: list[Statement]) -> list[tuple[str, str]]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))

    async def scans(statement: Statement) -> list[str]:
        plan = await connection.fetchval(
            f"EXPLAIN (FORMAT JSON) {statement.sql}", *(statement.parameters or ())
        )
        tree = json.loads(plan) if isinstance(plan, str) else plan
        return list(_seq_scans(tree[0]["Plan"]))

    found: list[tuple[str, str]] = []
    try:
        rows = await connection.fetch(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND relname = ANY($1)",
            sorted(GROWING),
        )
        few = {row["relname"] for row in rows if row["reltuples"] < FEW_ROWS}
        for statement in statements:
            seen = await scans(statement)
            if any(scan.removeprefix("Seq Scan on ") in few for scan in seen):
                await connection.execute("SET enable_seqscan = off")
                seen = await scans(statement)
                await connection.execute("RESET enable_seqscan")
            found += [(statement.sql, scan) for scan in seen]
    finally:
        await connection.close()
    return found


async def full_scans(url: str, statements: list[Statement]) -> list[tuple[str, str]]:
    if backend(url) == "sqlite":
        return list(sqlite_scans(url, statements))
    return await postgres_scans(url, statements)


async def waiting_tasks(url: str, kind: str = NO_RESPONSE, subjects: str = "bench-%") -> int:
    """Tasks of `kind` still to run, asked without SQLAlchemy (so it is not captured)."""
    query = (
        "SELECT count(*) FROM scheduled_task WHERE kind = $1 AND coalesce(subject, '') LIKE $2 "
        "AND status IN ('pending', 'running')"
    )
    if backend(url) == "sqlite":
        with sqlite3.connect(str(make_url(url).database)) as connection:
            sql = query.replace("$1", "?").replace("$2", "?")
            row = connection.execute(sql, (kind, subjects)).fetchone()
            return int(row[0])
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        return int(await connection.fetchval(query, kind, subjects))
    finally:
        await connection.close()


async def test_no_statement_of_a_walk_scans_a_growing_table(
    api: FakeBotApi, database_url: str, figures: Callable[[str], None]
) -> None:
    url = await migrated(database_url)
    async with live_bot(settings_for(api, url)):
        template = api.user(7_001, language_code="en")
        await ask_a_question(template)
        await seed_parents(url, TEST_SECRET_KEY, STORED, template.id)
        await seed_history(url)
        await seed_due_tasks(url, DUE_TASKS)
        # The daily purge (scheduled at start) deletes by date once a day, scans allowed: it
        # is not part of a walk, so it must be done before the capture begins.
        for _ in range(100):
            if await waiting_tasks(url, PURGE, "%") == 0:
                break
            await asyncio.sleep(0.1)
        with captured_statements() as log:
            await ask_a_question(api.user(7_002, language_code="en"))
            for _ in range(200):  # the tick runs the due tasks meanwhile
                if await waiting_tasks(url) == 0:
                    break
                await asyncio.sleep(0.1)
            assert await waiting_tasks(url) == 0, "the due tasks did not run"
    queries = log.queries()
    tables = {t for q in queries for t in GROWING if re.search(rf"\b{t}\b", q.sql)}
    assert {"parent", "conversation", "outbox_message", "scheduled_task"} <= tables
    scans = await full_scans(url, queries)
    assert not scans, "full scans:\n" + "\n".join(f"{plan}: {sql}" for sql, plan in scans)
    # The check itself sees a scan when there is one.
    assert await full_scans(url, [Statement("", "SELECT id FROM parent WHERE language = 'x'", ())])
    figures(
        f"query plans ({backend(url)}, {STORED:,} parents, analysed): {len(queries)} distinct "
        f"statements of a walk, the dispatcher and the task tick; "
        f"{len(tables)} growing tables touched; 0 full scans"
    )
