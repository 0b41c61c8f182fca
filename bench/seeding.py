"""Throw-away databases for the benchmark, seeded fast with bulk inserts.

Stored parents are clones of one template parent who walked the real flows: each gets their
own keyed hash and sealed chat id (the project's IdentityVault), the template's finished
conversation, a sent-message receipt and a processed update id; every second one a closed case.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.services.privacy import IdentityVault
from bot.services.task_kinds import NO_RESPONSE
from storage import Database
from storage.cases import ALIAS_ALPHABET, ALIAS_LENGTH
from storage.tables import (
    CaseRow,
    ConversationRow,
    OutboxMessage,
    ParentRow,
    ProcessedUpdate,
    ScheduledTask,
)

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
CHANNEL = "telegram"
CHUNK = 5_000
STORED_FIRST_USER = 500_000_000  # stored parents' Telegram ids; walkers start at 1,000,000
STORED_FIRST_UPDATE = 10**12  # their processed update ids; the fake API counts from 1


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def new_postgres_database() -> str:
    name = f"tussenin_bench_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)


async def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def migrated(url: str) -> None:
    database = Database(url)
    try:
        await database.upgrade()
    finally:
        await database.dispose()


def _columns(row: Any) -> dict[str, Any]:
    return dict(row._mapping)


async def _bulk(connection: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await connection.execute(insert(table), rows[start : start + CHUNK])


async def _next_id(connection: AsyncConnection, column: Any) -> int:
    return int((await connection.execute(select(func.max(column)))).scalar() or 0) + 1


async def _move_sequence(connection: AsyncConnection, table: str) -> None:
    """After explicit ids, PostgreSQL's sequence must start past them."""
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )


def _aliases(count: int, taken: set[str]) -> list[str]:
    """Unique aliases in the real format (four letters of the real alphabet)."""
    base = len(ALIAS_ALPHABET)
    found: list[str] = []
    for number in random.sample(range(base**ALIAS_LENGTH), count + len(taken)):
        letters = []
        for _ in range(ALIAS_LENGTH):
            number, digit = divmod(number, base)
            letters.append(ALIAS_ALPHABET[digit])
        alias = "".join(letters)
        if alias not in taken:
            found.append(alias)
        if len(found) == count:
            break
    return found


async def seed_parents(url: str, secret_key: str, stored: int, template_user: int) -> None:
    """`stored` parents like the template parent, half of them with a closed case."""
    if stored <= 0:
        return
    vault = IdentityVault(secret_key)
    now = datetime.now(UTC)
    parent_t = ParentRow.__table__  # type: ignore[attr-defined]
    conversation_t = ConversationRow.__table__  # type: ignore[attr-defined]
    case_t = CaseRow.__table__  # type: ignore[attr-defined]
    outbox_t = OutboxMessage.__table__  # type: ignore[attr-defined]
    update_t = ProcessedUpdate.__table__  # type: ignore[attr-defined]
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            template_hash = vault.subject_hash(CHANNEL, template_user)
            parent = (
                await connection.execute(
                    select(parent_t).where(parent_t.c.subject_hash == template_hash)
                )
            ).one()
            conversation = _columns(
                (
                    await connection.execute(
                        select(conversation_t).where(conversation_t.c.parent_id == parent.id)
                    )
                ).one()
            )
            case = _columns(
                (
                    await connection.execute(select(case_t).where(case_t.c.parent_id == parent.id))
                ).one()
            )
            receipt = _columns(
                (
                    await connection.execute(
                        select(outbox_t).where(outbox_t.c.recipient == template_hash).limit(1)
                    )
                ).one()
            )
            taken = set((await connection.execute(select(case_t.c.alias))).scalars())
            first_parent = await _next_id(connection, parent_t.c.id)
            first_case = await _next_id(connection, case_t.c.id)
            first_receipt = await _next_id(connection, outbox_t.c.id)
            aliases = iter(_aliases((stored + 1) // 2, taken))
            parents, conversations, cases, receipts, updates = [], [], [], [], []
            for n in range(stored):
                user = STORED_FIRST_USER + n
                subject = vault.subject_hash(CHANNEL, user)
                parent_id = first_parent + n
                parents.append(
                    {
                        "id": parent_id,
                        "channel": CHANNEL,
                        "subject_hash": subject,
                        "sealed_chat": vault.seal(user),
                        "language": parent.language,
                        "stopped_at": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                conversations.append(
                    conversation | {"parent_id": parent_id, "finished": True, "updated_at": now}
                )
                if n % 2 == 0:
                    cases.append(
                        case
                        | {
                            "id": first_case + n // 2,
                            "alias": next(aliases),
                            "parent_id": parent_id,
                            "status": "closed",
                            "outcome": "helped",
                            "closed_at": now,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                receipts.append(
                    receipt
                    | {
                        "id": first_receipt + n,
                        "recipient": subject,
                        "sender": subject,
                        "sealed_chat": "",
                        "sealed_payload": None,
                        "status": "sent",
                        "created_at": now,
                        "sent_at": now,
                    }
                )
                updates.append({"update_id": STORED_FIRST_UPDATE + n, "processed_at": now})
            await _bulk(connection, parent_t, parents)
            await _bulk(connection, conversation_t, conversations)
            await _bulk(connection, case_t, cases)
            await _bulk(connection, outbox_t, receipts)
            await _bulk(connection, update_t, updates)
            for table in ("parent", "cases", "outbox_message"):
                await _move_sequence(connection, table)
        await _analyse(database)
    finally:
        await database.dispose()


async def seed_due_tasks(url: str, count: int) -> datetime:
    """`count` tasks due now, of a cheap kind: a question timing out for a parent who is gone
    (one lookup, nothing sent). Returns when they became due."""
    now = datetime.now(UTC)
    task_t = ScheduledTask.__table__  # type: ignore[attr-defined]
    payload = json.dumps({"step": 0})
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await _bulk(
                connection,
                task_t,
                [
                    {
                        "kind": NO_RESPONSE,
                        "due_at": now,
                        "subject": f"bench-gone-{n:012d}",
                        "payload": payload,
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                    }
                    for n in range(count)
                ],
            )
        await _analyse(database)
    finally:
        await database.dispose()
    return now


async def task_progress(url: str) -> tuple[int, list[float]]:
    """How many bench tasks are still to run, and each finished one's seconds after due."""
    task_t = ScheduledTask.__table__  # type: ignore[attr-defined]
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(task_t.c.status, task_t.c.due_at, task_t.c.finished_at).where(
                        task_t.c.kind == NO_RESPONSE
                    )
                )
            ).all()
    finally:
        await database.dispose()
    waiting = sum(1 for status, _, _ in rows if status in ("pending", "running"))
    lags = [(done - due).total_seconds() for status, due, done in rows if status == "done"]
    return waiting, lags


async def count_waiting_tasks(database: Database) -> int:
    task_t = ScheduledTask.__table__  # type: ignore[attr-defined]
    async with database.engine.connect() as connection:
        query = select(func.count()).where(
            task_t.c.kind == NO_RESPONSE, task_t.c.status.in_(("pending", "running"))
        )
        return int((await connection.execute(query)).scalar_one())


async def _analyse(database: Database) -> None:
    """Fresh statistics, as a database that grew slowly would have."""
    if database.dialect == "postgresql":
        async with database.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("ANALYZE"))
    else:
        async with database.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
