"""Capturing the SQL the bot runs: every statement with its parameters, and the commits."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

# Transaction control and the like: nothing a query plan could say anything about.
NOT_QUERIES = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "ANALYZE")


@dataclass(frozen=True)
class Statement:
    dialect: str
    sql: str
    parameters: Any  # as the driver got them (the first row of an executemany)


@dataclass
class StatementLog:
    statements: list[Statement] = field(default_factory=list)
    commits: int = 0

    def queries(self) -> list[Statement]:
        """Each distinct query once (its first parameters), transaction control left out."""
        seen: dict[str, Statement] = {}
        for statement in self.statements:
            words = statement.sql.split(None, 1)
            if words and words[0].upper() not in NOT_QUERIES:
                seen.setdefault(statement.sql, statement)
        return list(seen.values())


@contextlib.contextmanager
def captured_statements() -> Iterator[StatementLog]:
    """Every statement any engine in this process runs meanwhile."""
    log = StatementLog()

    def executed(
        connection: Connection,
        cursor: Any,
        sql: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        first = parameters[0] if executemany and parameters else parameters
        log.statements.append(Statement(connection.dialect.name, sql, first))

    def committed(connection: Connection) -> None:
        log.commits += 1

    event.listen(Engine, "before_cursor_execute", executed)
    event.listen(Engine, "commit", committed)
    try:
        yield log
    finally:
        event.remove(Engine, "before_cursor_execute", executed)
        event.remove(Engine, "commit", committed)
