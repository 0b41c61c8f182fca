"""Which flow nodes conversations entered: counted in memory, added to the anonymous node
figures in one transaction every FLUSH_EVERY.

Counting in each update's own transaction would make every parent who enters the menu wait
on the same row until the others commit. An instance that crashes loses at most the last
seconds' counts; no count names a person."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from storage import Database
from storage.figures import week_of

FLUSH_EVERY = timedelta(seconds=10)

Key = tuple[str, str, str, str]  # flow version, flow, node, week


class NodeTally:
    def __init__(self) -> None:
        self._counts: Counter[Key] = Counter()

    def add(self, version: str, nodes: list[tuple[str, str]], now: datetime) -> None:
        week = week_of(now)
        for flow, node in nodes:
            self._counts[(version, flow, node, week)] += 1

    async def flush(self, database: Database) -> None:
        """Add what was counted to the figures; kept for the next try if that fails."""
        counts, self._counts = self._counts, Counter()
        if not counts:
            return
        try:
            async with database.transaction() as uow:
                await uow.figures.nodes_entered(counts)
        except BaseException:
            self._counts.update(counts)
            raise
