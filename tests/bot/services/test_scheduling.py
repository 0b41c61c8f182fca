"""Task kinds and tick(now) on a clock the tests move: due tasks run once, with retries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise

from sqlalchemy import func, insert, select

from bot.services.clock import ManualClock
from bot.services.outbox import Outbox
from bot.services.privacy import IdentityVault
from bot.services.scheduling import LEASE, TaskRegistry, TaskRunner
from bot.services.turn import Turn
from flows.outputs import Reply
from storage import Database
from storage.records import Task
from storage.tables import OutboxMessage, ScheduledTask
from tests.conftest import TEST_SECRET_KEY
from tests.live import migrated

OUTBOX = Outbox(IdentityVault(TEST_SECRET_KEY), "telegram")


def counting_registry(calls: list[int] | None = None) -> TaskRegistry:
    """A kind whose effect is one outbox message, so a double run would show twice."""

    async def say(turn: Turn, task: Task) -> None:
        if calls is not None:
            calls.append(task.id)
        turn.send(1000 + task.id % 7, [Reply(f"task {task.id}")])

    registry = TaskRegistry()
    registry.register("test.say", say)
    return registry


def runner(db: Database, registry: TaskRegistry, owner: str = "one") -> TaskRunner:
    return TaskRunner(db, registry, OUTBOX, owner=owner)


async def effects_per_task(db: Database) -> dict[str, int]:
    t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    async with db.engine.connect() as connection:
        rows = await connection.execute(select(t.source, func.count()).group_by(t.source))
    return {source: int(n) for source, n in rows.all()}


async def test_only_due_tasks_run(database: Database) -> None:
    clock, calls = ManualClock(), list[int]()
    async with database.transaction() as uow:
        soon = await uow.tasks.schedule("test.say", clock.now() + timedelta(hours=4), clock.now())
    tasks = runner(database, counting_registry(calls))
    assert await tasks.tick(clock.now()) == 0
    clock.advance(timedelta(hours=4) - timedelta(seconds=1))
    assert await tasks.tick(clock.now()) == 0
    clock.advance(timedelta(seconds=1))
    assert await tasks.tick(clock.now()) == 1 and calls == [soon]
    assert await effects_per_task(database) == {f"task:{soon}": 1}
    assert await tasks.tick(clock.now()) == 0


async def test_a_failing_task_is_retried_with_backoff_then_failed(database: Database) -> None:
    clock, attempts = ManualClock(), []

    async def flaky(turn: Turn, task: Task) -> None:
        attempts.append(turn.now)
        turn.send(1, [Reply("never committed")])
        raise RuntimeError("a parent's words must not reach the log")

    registry = TaskRegistry()
    registry.register("test.flaky", flaky, max_attempts=3)
    async with database.transaction() as uow:
        await uow.tasks.schedule("test.flaky", clock.now(), clock.now())
    tasks = runner(database, registry)
    for _ in range(10):
        await tasks.tick(clock.now())
        clock.advance(timedelta(seconds=30))
    async with database.transaction() as uow:
        assert await uow.tasks.counts() == {"failed": 1}
    gaps = [b - a for a, b in pairwise(attempts)]
    assert len(attempts) == 3 and gaps[1] > gaps[0]  # backoff grows
    assert await effects_per_task(database) == {}  # failed runs left no effects


async def test_unknown_kind_fails_at_once(database: Database) -> None:
    clock = ManualClock()
    async with database.transaction() as uow:
        await uow.tasks.schedule("no.such.kind", clock.now(), clock.now())
    await runner(database, TaskRegistry()).tick(clock.now())
    async with database.transaction() as uow:
        assert await uow.tasks.counts() == {"failed": 1}


async def test_a_killed_instances_task_runs_after_its_lease(database: Database) -> None:
    clock, calls = ManualClock(), list[int]()
    async with database.transaction() as uow:
        task_id = await uow.tasks.schedule("test.say", clock.now(), clock.now())
        await uow.tasks.claim(clock.now(), "killed", LEASE, 10)  # claimed, then the crash
    survivor = runner(database, counting_registry(calls), owner="survivor")
    clock.advance(LEASE - timedelta(seconds=1))
    assert await survivor.tick(clock.now()) == 0 and calls == []
    clock.advance(timedelta(seconds=2))
    assert await survivor.tick(clock.now()) == 1 and calls == [task_id]
    assert await effects_per_task(database) == {f"task:{task_id}": 1}


async def test_a_batch_leaves_a_busy_subject_to_run_alone_after_it(database: Database) -> None:
    """A subject whose update holds its lock is not waited for by the batch: the others
    commit at once, and its task runs on its own when the update is done. (SQLite has one
    writer: there the batch waits for the update's commit, then runs all four.)"""
    clock, calls = ManualClock(), list[int]()
    async with database.transaction() as uow:
        free = [
            await uow.tasks.schedule("test.say", clock.now(), clock.now(), subject=f"s{n}")
            for n in range(3)
        ]
        busy = await uow.tasks.schedule("test.say", clock.now(), clock.now(), subject="busy")
    locked, release = asyncio.Event(), asyncio.Event()

    async def an_update_of_busy() -> None:
        async with database.transaction(lock="busy"):
            locked.set()
            await release.wait()

    update = asyncio.create_task(an_update_of_busy())
    await locked.wait()
    tick = asyncio.create_task(runner(database, counting_registry(calls)).tick(clock.now()))
    concurrent = database.dialect == "postgresql"
    if concurrent:
        for _ in range(200):
            if len(calls) == 3:
                break
            await asyncio.sleep(0.01)
        assert sorted(calls) == free and not tick.done()  # the batch ran; `busy` waits
    release.set()
    assert await tick == 4 and sorted(calls) == sorted([*free, busy])
    assert calls[-1] == busy or not concurrent
    await update
    assert await effects_per_task(database) == {f"task:{n}": 1 for n in [*free, busy]}


async def test_a_failing_task_in_a_batch_leaves_the_others_done_once(database: Database) -> None:
    clock, calls = ManualClock(), list[int]()
    say = counting_registry(calls).get("test.say")
    assert say is not None

    async def flaky(turn: Turn, task: Task) -> None:
        turn.send(1, [Reply("never committed")])
        raise RuntimeError("boom")

    registry = TaskRegistry()
    registry.register("test.say", say.run)
    registry.register("test.flaky", flaky)
    async with database.transaction() as uow:
        kinds = ["test.say", "test.flaky", "test.say", "test.flaky", "test.say"]
        ids = [await uow.tasks.schedule(kind, clock.now(), clock.now()) for kind in kinds]
    assert await runner(database, registry).tick(clock.now()) == 5
    async with database.transaction() as uow:
        assert await uow.tasks.counts() == {"done": 3, "pending": 2}  # the two set to retry
    assert await effects_per_task(database) == {f"task:{ids[n]}": 1 for n in (0, 2, 4)}


async def test_registry_refuses_a_kind_twice() -> None:
    registry = counting_registry()
    try:
        registry.register("test.say", counting_registry().get("test.say").run)  # type: ignore[union-attr]
    except ValueError as error:
        assert "twice" in str(error)
    else:
        raise AssertionError("a second registration was accepted")


async def _many_tasks(db: Database, count: int, clock: ManualClock) -> None:
    rows = [
        {
            "kind": "test.say",
            "due_at": clock.now(),
            "payload": "{}",
            "status": "pending",
            "attempts": 0,
            "created_at": clock.now(),
        }
        for _ in range(count)
    ]
    async with db.engine.begin() as connection:
        await connection.execute(insert(ScheduledTask), rows)


async def _drain_with_instances(url: str, count: int, instances: int) -> tuple[float, list[int]]:
    clock = ManualClock()
    setup = Database(url)
    await _many_tasks(setup, count, clock)
    dbs = [Database(url) for _ in range(instances)]
    per_instance = [0] * instances

    async def work(i: int) -> None:
        tasks = runner(dbs[i], counting_registry(), owner=f"instance-{i}")
        while (done := await tasks.tick(clock.now())) > 0:
            per_instance[i] += done

    started = time.perf_counter()
    try:
        await asyncio.gather(*(work(i) for i in range(instances)))
    finally:
        for db in dbs:
            await db.dispose()
    elapsed = time.perf_counter() - started
    effects = await effects_per_task(setup)
    async with setup.transaction() as uow:
        counts = await uow.tasks.counts()
    await setup.dispose()
    assert counts == {"done": count}
    assert len(effects) == count and set(effects.values()) == {1}
    return elapsed, per_instance


async def test_ten_thousand_tasks_three_instances_postgres_run_once(
    postgres_url: str, figures: Callable[[str], None]
) -> None:
    await migrated(postgres_url)
    elapsed, shares = await _drain_with_instances(postgres_url, 10_000, 3)
    assert all(share > 0 for share in shares)  # the instances really shared the work
    figures(
        f"tasks (PostgreSQL): 10000 due tasks, 3 instances → 10000 run exactly once "
        f"(shares {shares}), 0 twice, 0 lost, in {elapsed:.1f} s"
    )


async def test_a_hundred_thousand_tasks_postgres_one_instance_then_three(
    postgres_url: str, figures: Callable[[str], None]
) -> None:
    """The drain rate of one instance is reported, not asserted; exactly once is."""
    await migrated(postgres_url)
    elapsed, _ = await _drain_with_instances(postgres_url, 100_000, 1)
    figures(
        f"tasks (PostgreSQL): 100000 due tasks, 1 instance → run exactly once in "
        f"{elapsed:.1f} s, {100_000 / elapsed:.0f} tasks/s"
    )
    db = Database(postgres_url)
    async with db.engine.begin() as connection:
        await connection.execute(ScheduledTask.__table__.delete())  # type: ignore[attr-defined]
        await connection.execute(OutboxMessage.__table__.delete())  # type: ignore[attr-defined]
    await db.dispose()
    elapsed, shares = await _drain_with_instances(postgres_url, 100_000, 3)
    assert all(share > 0 for share in shares)
    figures(
        f"tasks (PostgreSQL): 100000 due tasks, 3 instances → run exactly once "
        f"(shares {shares}) in {elapsed:.1f} s, {100_000 / elapsed:.0f} tasks/s"
    )


async def test_many_tasks_three_instances_sqlite_run_once(
    tmp_path: object, figures: Callable[[str], None]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/tasks.db"
    db = Database(url)
    await db.upgrade()
    await db.dispose()
    elapsed, shares = await _drain_with_instances(url, 2_000, 3)
    figures(
        f"tasks (SQLite): 2000 due tasks, 3 instances → 2000 run exactly once "
        f"(shares {shares}), in {elapsed:.1f} s"
    )
