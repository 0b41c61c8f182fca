"""Metrics for Prometheus at /metrics: what this process handled, and what waits in storage.

Counters and the latency histogram live in this process; the gauges about storage are read
when Prometheus scrapes, one cheap query each. Labels come from fixed vocabularies only
(results, causes, case states): never an id, a name, an alias or one person's language.
Every bot has a registry of its own, so tests and several bots in one process never collide.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from storage import Database, DatabaseUnavailable
from storage.cases import OPEN_STATUSES

PREFIX = "tussenin"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
HANDLED = ("processed", "duplicate")
SET_ASIDE_CAUSES = ("unreadable", "failing")
# Seconds: a turn is ~20 ms of CPU; a slow database or a lock wait shows in the upper ones.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
READ_TIMEOUT_SECONDS = 5.0


class UpdateMetrics:
    """Counts what became of each update this process handled, and how long it took."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._handled = Counter(
            f"{PREFIX}_updates_handled",
            "Updates handled and committed (processed), or found committed before (duplicate).",
            ["result"],
            registry=registry,
        )
        self._failed = Counter(
            f"{PREFIX}_updates_failed",
            "Handling attempts that failed (each retry counts; a database outage does not).",
            registry=registry,
        )
        self._set_aside = Counter(
            f"{PREFIX}_updates_set_aside",
            "Updates set aside: unreadable at once, or failing after every retry.",
            ["cause"],
            registry=registry,
        )
        self._latency = Histogram(
            f"{PREFIX}_update_handling_seconds",
            "Time to handle one update, per attempt (reading, the turn, the commit).",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        for result in HANDLED:  # shown at 0 from the start, so rate() sees the first one
            self._handled.labels(result)
        for cause in SET_ASIDE_CAUSES:
            self._set_aside.labels(cause)

    def failed(self) -> None:
        self._failed.inc()

    def done(self, outcome: str, cause: str, seconds: float) -> None:
        """An attempt ended with `outcome` (an Outcome value); `cause` says why it was set
        aside, if it was."""
        self._latency.observe(seconds)
        if outcome in HANDLED:
            self._handled.labels(outcome).inc()
        elif outcome == "set_aside" and cause in SET_ASIDE_CAUSES:
            self._set_aside.labels(cause).inc()


@dataclass(frozen=True)
class StorageReading:
    """The gauges read from the database at one moment."""

    outbox_pending: int
    outbox_oldest_seconds: float
    task_lag_seconds: float
    open_cases: dict[str, int]
    urgent_seconds_left: float | None  # None: no urgent case waits for contact
    breaches: int


def _seconds_since(moment: datetime | None, now: datetime) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment is not None else 0.0


async def read_storage(
    database: Database, now: datetime, breach_after: timedelta
) -> StorageReading:
    async with database.transaction() as uow:
        pending, oldest = await uow.outbox.backlog()
        due = await uow.tasks.oldest_due(now)
        open_cases = await uow.cases.open_by_status()
        urgent = await uow.cases.oldest_urgent_without_contact()
        breaches = await uow.figures.breaches()
    return StorageReading(
        outbox_pending=pending,
        outbox_oldest_seconds=_seconds_since(oldest, now),
        task_lag_seconds=_seconds_since(due, now),
        open_cases=open_cases,
        urgent_seconds_left=(
            (urgent + breach_after - now).total_seconds() if urgent is not None else None
        ),
        breaches=breaches,
    )


class StorageCollector(Collector):
    """Shows the latest reading; without one (the database is away) only that it is away."""

    def __init__(self) -> None:
        self.reading: StorageReading | None = None

    def collect(self) -> Iterable[Metric]:
        reading = self.reading
        yield GaugeMetricFamily(
            f"{PREFIX}_database_up",
            "1 when the database answered this scrape in time; else no storage gauges.",
            value=int(reading is not None),
        )
        if reading is None:
            return
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_pending",
            "Messages written to the outbox and not sent yet.",
            value=reading.outbox_pending,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_oldest_pending_seconds",
            "Age of the oldest message not sent yet (0 when none waits).",
            value=reading.outbox_oldest_seconds,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_task_lag_seconds",
            "How late the longest-waiting due scheduled task is (0 when none is overdue).",
            value=reading.task_lag_seconds,
        )
        cases = GaugeMetricFamily(f"{PREFIX}_cases_open", "Open cases, by state.", labels=["state"])
        for state in OPEN_STATUSES:
            cases.add_metric([state], reading.open_cases.get(state, 0))
        yield cases
        left = GaugeMetricFamily(
            f"{PREFIX}_urgent_least_seconds_left",
            "Least time left before the urgent deadline of any open urgent case without a VP "
            "in contact; negative when overdue; no sample when none waits.",
        )
        if reading.urgent_seconds_left is not None:
            left.add_metric([], reading.urgent_seconds_left)
        yield left
        yield CounterMetricFamily(
            f"{PREFIX}_urgent_breaches",
            "Urgent deadlines breached, ever (the same in every instance: use max, not sum).",
            value=reading.breaches,
        )


class BotMetrics:
    """One bot's registry: its update counters, and the storage gauges read per scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = UpdateMetrics(self.registry)
        self._storage = StorageCollector()
        self.registry.register(self._storage)

    async def exposition(self, database: Database, now: datetime, breach_after: timedelta) -> bytes:
        """The text format Prometheus scrapes, with the storage gauges read just now."""
        try:
            reading: StorageReading | None = await asyncio.wait_for(
                read_storage(database, now, breach_after), READ_TIMEOUT_SECONDS
            )
        except TimeoutError:
            reading = None  # not in time: Prometheus's own scrape timeout is near
        except Exception:
            try:
                await asyncio.wait_for(database.ping(), READ_TIMEOUT_SECONDS)
            except (DatabaseUnavailable, TimeoutError):
                reading = None  # the database is away: say so, and show the counters
            else:
                raise  # the database answers: the reading itself is wrong
        # No await from here: a concurrent scrape cannot swap the reading in between.
        self._storage.reading = reading
        return generate_latest(self.registry)
