"""Anonymous figures for reports: added up per week, never linked to a person or a case."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import Case
from storage.tables import CaseFiguresRow, CaseRow, NodeFiguresRow, SatisfactionRow

FIGURES: Table = CaseFiguresRow.__table__  # type: ignore[attr-defined]
SATISFACTION: Table = SatisfactionRow.__table__  # type: ignore[attr-defined]
CASES: Table = CaseRow.__table__  # type: ignore[attr-defined]
NODES: Table = NodeFiguresRow.__table__  # type: ignore[attr-defined]
NODE_KEY = ["version", "flow", "node", "week"]


def week_of(moment: datetime) -> str:
    """The Monday of the week, e.g. 2026-11-23."""
    return (moment.date() - timedelta(days=moment.weekday())).isoformat()


async def add_up(
    session: AsyncSession,
    table: Table,
    key: dict[str, Any],
    sums: dict[str, int],
    maxima: dict[str, int] | None = None,
) -> None:
    """Insert the row, or add `sums` to it and keep the larger of `maxima`."""
    maxima = maxima or {}
    bind = session.bind
    postgres = bind is not None and bind.dialect.name == "postgresql"
    insert = postgresql_insert if postgres else sqlite_insert
    statement = insert(table).values(**key, **sums, **maxima)
    larger = func.greatest if postgres else func.max  # SQLite's two-argument max()
    updates = {name: table.c[name] + statement.excluded[name] for name in sums}
    updates |= {name: larger(table.c[name], statement.excluded[name]) for name in maxima}
    await session.execute(statement.on_conflict_do_update(index_elements=list(key), set_=updates))


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return int((end - start).total_seconds()) if end is not None else None


class Figures:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def rated(self, now: datetime, language: str, answer: str) -> None:
        await self._add(
            SATISFACTION,
            {"week": week_of(now), "language": language, "answer": answer},
            {"count": 1},
            {},
        )

    async def add_case(self, case: Case) -> None:
        """A closed case, counted before it is purged."""
        accept = _seconds(case.created_at, case.accepted_at)
        contact = _seconds(case.created_at, case.first_contact_at)
        await self._add(
            FIGURES,
            {
                "week": week_of(case.created_at),
                "language": case.language,
                "topic": case.topic or "",
                "outcome": case.outcome or case.status,
                "urgent": case.urgent,
            },
            {
                "cases": 1,
                "accepted": int(accept is not None),
                "accept_seconds_total": accept or 0,
                "contacted": int(contact is not None),
                "contact_seconds_total": contact or 0,
                "breaches": int(case.breached_at is not None),
            },
            {"accept_seconds_max": accept or 0, "contact_seconds_max": contact or 0},
        )

    async def cases(self) -> list[dict[str, Any]]:
        rows = await self._session.execute(select(FIGURES).order_by(*FIGURES.primary_key))
        return [dict(row._mapping) for row in rows]

    async def satisfaction(self) -> dict[tuple[str, str, str], int]:
        rows = await self._session.execute(select(SATISFACTION))
        return {(r.week, r.language, r.answer): int(r._mapping["count"]) for r in rows}

    async def nodes_entered(self, counts: Mapping[tuple[str, str, str, str], int]) -> None:
        """Entries into flow nodes: {(version, flow, node, week): how many}. Each entry
        counts: a parent sent back to a question enters it again, and can stop there again."""
        rows = [
            {"version": version, "flow": flow, "node": node, "week": week, "entered": n}
            for (version, flow, node, week), n in counts.items()
        ]
        await self._add_rows(NODES, NODE_KEY, rows, "entered")

    async def nodes_stopped(self, stops: list[tuple[str, str, str, datetime]]) -> None:
        """Conversations stopped at these nodes: (version, flow, node, when they entered it),
        counted in the week they entered it."""
        counts = Counter((version, flow, node, week_of(at)) for version, flow, node, at in stops)
        rows = [
            {"version": version, "flow": flow, "node": node, "week": week, "stopped": n}
            for (version, flow, node, week), n in counts.items()
        ]
        await self._add_rows(NODES, NODE_KEY, rows, "stopped")

    async def nodes(self, since_week: str = "") -> list[dict[str, Any]]:
        """For reports: version, flow, node, week, entered and stopped, from `since_week`
        (a Monday, as week_of gives) on."""
        query = select(NODES).where(NODES.c.week >= since_week).order_by(*NODES.primary_key)
        rows = await self._session.execute(query)
        return [dict(row._mapping) for row in rows]

    async def breaches(self) -> int:
        """Breaches ever recorded: on cases still kept, and in the figures of purged ones."""
        kept = select(func.count()).select_from(CASES).where(CASES.c.breached_at.is_not(None))
        purged = select(func.coalesce(func.sum(FIGURES.c.breaches), 0))
        query = select(kept.scalar_subquery(), purged.scalar_subquery())
        on_cases, in_figures = (await self._session.execute(query)).one()
        return int(on_cases) + int(in_figures)

    async def _add(
        self, table: Table, key: dict[str, Any], sums: dict[str, int], maxima: dict[str, int]
    ) -> None:
        await add_up(self._session, table, key, sums, maxima)

    async def _add_rows(
        self, table: Table, key: list[str], rows: list[dict[str, Any]], count: str
    ) -> None:
        """Insert the rows, or add their `count` to the rows there, in one statement; in key
        order, so that two transactions counting the same rows never deadlock."""
        if not rows:
            return
        bind = self._session.bind
        insert = postgresql_insert if bind and bind.dialect.name == "postgresql" else sqlite_insert
        ordered = sorted(rows, key=lambda row: [row[name] for name in key])
        statement = insert(table).values(ordered)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=key, set_={count: table.c[count] + statement.excluded[count]}
            )
        )
