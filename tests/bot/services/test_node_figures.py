"""The anonymous drop-off counts: walks driven through the conversation service on the
database, the stopped sweep run on a moving clock, and the counts compared with what the
walks' own engine traces say, on SQLite and PostgreSQL. No count names a parent."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import inspect, select

from bot.services.maintenance import STOPPED_AFTER, count_stopped, schedule_daily
from flows import engine
from flows.flowset import FlowSet
from flows.inputs import Media, Text
from storage.figures import week_of
from storage.tables import NodeFiguresRow, ParentRow
from tests.bot.services.world import AMSTERDAM, MORNING, World
from tests.flows.test_steps import to_input

WALKS = yaml.safe_load((Path(__file__).parents[2] / "flows" / "walks.yaml").read_text("utf-8"))
FIRST_CHAT = 9_100_000_000  # chat ids no count or version could contain by chance
Key = tuple[str, str, str, str]  # version, flow, node, week


@dataclass
class Walker:
    """One parent, as the test's own model sees them: where the engine left them."""

    chat: int
    state: engine.Conversation | None = None
    touched: datetime | None = None
    noted: bool = False


@dataclass
class Expected:
    """The counts the walks' engine traces call for, kept apart from the bot's."""

    entered: Counter[Key] = field(default_factory=Counter)
    stopped: Counter[Key] = field(default_factory=Counter)

    def trace(self, version: str, outcome: engine.Outcome, now: datetime) -> None:
        for step in outcome.trace:
            if ">" not in step:
                flow, node = step.split(":")
                self.entered[(version, flow, node, week_of(now))] += 1

    def sweep(self, walkers: list[Walker], now: datetime) -> None:
        for walker in walkers:
            state, touched = walker.state, walker.touched
            if state is None or touched is None or state.finished or walker.noted:
                continue
            if touched < now - timedelta(hours=24):
                self.stopped[(state.version, state.flow, state.node, week_of(touched))] += 1
                walker.noted = True

    def rows(self) -> dict[Key, tuple[int, int]]:
        keys = set(self.entered) | set(self.stopped)
        return {key: (self.entered[key], self.stopped[key]) for key in keys}


def seeded_walks(flows: FlowSet, seed: int, count: int) -> list[dict[str, Any]]:
    """Walks in walks.yaml style from the welcome: random buttons, a typed answer where one
    is asked for, stopping anywhere."""
    rng = random.Random(seed)
    walks = []
    for number in range(count):
        inputs: list[dict[str, Any]] = []
        state = engine.begin(flows, "welcome", "nl", MORNING).state
        for _ in range(rng.randint(0, 8)):
            if state.finished:
                break
            node = flows.flows[state.flow].nodes[state.node]
            if node.ask is not None and (not node.choose or rng.random() < 0.5):
                raw: dict[str, Any] = {"text": f"vraag {number}"}
            else:
                raw = {"pick": rng.randrange(len(node.choose))}
            inputs.append(raw)
            state = engine.advance(flows, state, to_input(raw, state), "nl", MORNING).state
        walks.append({"name": f"seeded {seed}.{number}", "flow": "welcome", "inputs": inputs})
    return walks


async def walk(
    world: World, walker: Walker, spec: dict[str, Any], expected: Expected, resume: bool = False
) -> None:
    """Drive `spec` through the conversation service as the reception does, and the same
    inputs through the engine alone for the expected counts."""
    conversations = world.core.reception.conversations
    flows = conversations.library.current
    vault, now = world.core.vault, world.clock.now()
    key = vault.subject_hash("telegram", walker.chat)
    async with world.core.database.transaction() as uow:
        row = await uow.parents.get_or_create("telegram", key, vault.seal(walker.chat), now)
        await uow.parents.set_language(row.id, "nl", now)
        parent = await uow.parents.find(key)
        assert parent is not None
        if not resume:
            replies = await conversations.begin(uow, parent, key, now, flow=spec["flow"])
            outcome = engine.begin(flows, spec["flow"], "nl", now)
            expected.trace(flows.version, outcome, now)
            walker.state = outcome.state
        else:
            replies = await conversations.show_current(uow, parent, key) or []
    for raw in spec["inputs"]:
        assert walker.state is not None
        incoming = to_input(raw, walker.state)
        async with world.core.database.transaction() as uow:
            parent = await uow.parents.find(key)
            assert parent is not None
            if "pick" in raw:
                buttons = [r for r in replies if r.choices][-1].all_choices
                status, replies = await conversations.press(
                    uow, parent, key, buttons[raw["pick"]].action, now
                )
                assert status == "ok", (spec["name"], raw)
            elif "timeout" in raw:
                replies = await conversations.wake(uow, parent, key, walker.state.step, now)
            else:
                assert isinstance(incoming, Text | Media)
                replies = await conversations.answer(uow, parent, key, incoming, now) or []
        outcome = engine.advance(flows, walker.state, incoming, "nl", now)
        expected.trace(flows.version, outcome, now)
        walker.state = outcome.state
    walker.touched, walker.noted = now, False


async def counted(world: World) -> dict[Key, tuple[int, int]]:
    await world.core.reception.conversations.tally.flush(world.core.database)
    t = NodeFiguresRow.__table__  # type: ignore[attr-defined]
    async with world.core.database.engine.connect() as connection:
        rows = (await connection.execute(select(t))).mappings().all()
    return {
        (r["version"], r["flow"], r["node"], r["week"]): (r["entered"], r["stopped"]) for r in rows
    }


async def sweep(world: World, walkers: list[Walker], expected: Expected) -> int:
    async with world.core.database.transaction() as uow:
        found = await count_stopped(uow, world.clock.now())
    expected.sweep(walkers, world.clock.now())
    return found


async def test_the_counts_follow_the_walks_and_name_no_parent(world: World) -> None:
    flows = world.core.reception.conversations.library.current
    specs = WALKS + seeded_walks(flows, seed=14, count=24)
    walkers = [Walker(FIRST_CHAT + i) for i in range(len(specs) + 8)]
    expected = Expected()
    for walker, spec in zip(walkers, specs, strict=False):  # Monday 23 November, 09:00 UTC
        await walk(world, walker, spec, expected)
    unfinished = [w for w in walkers if w.state is not None and not w.state.finished]
    assert len(unfinished) >= 10, "the seeded walks should stop at many places"

    world.clock.advance(STOPPED_AFTER - timedelta(hours=1))
    assert await sweep(world, walkers, expected) == 0  # not a day yet
    world.clock.advance(timedelta(hours=2))
    assert await sweep(world, walkers, expected) == len(unfinished)
    world.clock.advance(timedelta(hours=1))
    assert await sweep(world, walkers, expected) == 0  # each counted once

    # Sunday night, still the week of 23 November: more walks, and a parent who comes back
    # to the question they stopped at and goes on (counted again where they stop next).
    world.clock.advance(timedelta(days=5, hours=10))
    later = seeded_walks(flows, seed=15, count=8)
    for walker, spec in zip(walkers[len(specs) :], later, strict=True):
        await walk(world, walker, spec, expected)
    back = next(
        w for w in unfinished if w.state and (w.state.flow, w.state.node) == ("ask", "question")
    )
    await walk(world, back, {"name": "back", "inputs": [{"text": "Nu wel"}]}, expected, resume=True)
    assert back.state is not None and (back.state.flow, back.state.node) == ("ask", "preference")
    world.clock.advance(timedelta(days=1, hours=12))  # Tuesday: counted in the week they came
    assert await sweep(world, walkers, expected) > 1

    found = await counted(world)
    assert found == expected.rows()
    weeks = {key[3] for key in found}
    assert weeks == {"2026-11-23"}, weeks
    assert sum(stopped for _, stopped in found.values()) == len(unfinished) + 1 + sum(
        1 for w in walkers[len(specs) :] if w.state and not w.state.finished
    )
    assert found[(flows.version, "ask", "preference", "2026-11-23")][1] >= 1

    # Nothing in the figures leads back to a parent: only these columns, and every value is
    # a flow version, a flow and node of it, a Monday, or a count (checked equal above).
    async with world.core.database.engine.connect() as connection:
        columns = await connection.run_sync(
            lambda sync: [c["name"] for c in inspect(sync).get_columns("node_figures")]
        )
        parents = (await connection.execute(select(ParentRow.__table__))).mappings().all()  # type: ignore[attr-defined]
    identities = {str(p["id"]) for p in parents} | {p["subject_hash"] for p in parents}
    identities |= {str(w.chat) for w in walkers} | {p["sealed_chat"] or "" for p in parents}
    assert columns == ["version", "flow", "node", "week", "entered", "stopped"]
    assert len(parents) == len(walkers)
    for version, flow, node, week in found:
        assert version == flows.version and node in flows.flows[flow].nodes
        assert datetime.fromisoformat(week).weekday() == 0
        for value in (version, flow, node, week):
            assert not any(len(i) > 3 and i in value for i in identities), value
            assert value not in identities


async def test_the_daily_upkeep_counts_who_stopped_once(world: World) -> None:
    walker, expected = Walker(FIRST_CHAT), Expected()
    await walk(
        world, walker, {"name": "menu", "flow": "welcome", "inputs": [{"pick": 0}]}, expected
    )
    version = world.core.reception.conversations.library.current.version
    for days in (1, 2):
        world.clock.advance(timedelta(days=1, hours=1))
        async with world.core.database.transaction() as uow:
            await schedule_daily(uow, world.clock.now(), AMSTERDAM)
        await world.runner.tick(world.clock.now())
        found = await counted(world)
        assert found[(version, "ask", "topic", "2026-11-23")] == (1, 1), f"day {days}"
    async with world.core.database.transaction() as uow:
        [row] = [r for r in await uow.figures.nodes("2026-11-23") if r["node"] == "topic"]
        assert await uow.figures.nodes("2026-11-30") == []
    assert (row["flow"], row["entered"], row["stopped"]) == ("ask", 1, 1)
