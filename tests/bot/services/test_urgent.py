"""The urgent path on a clock the test controls, through the production task runner."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.services import staff_words as words
from bot.services.cases import register_case_tasks
from bot.services.clock import ManualClock
from bot.services.outbox import Outbox
from bot.services.relay import Said
from bot.services.scheduling import TaskRegistry, TaskRunner
from bot.services.urgent import register_urgent_tasks
from flows.inputs import Command, Pick
from storage import Database
from storage.people import Profile
from storage.records import Case
from storage.tables import OutboxMessage
from tests.bot.services.test_case_access import a_parent_with_key
from tests.bot.services.test_cases import CATALOGS, DESK, LADDER, NOW, VAULT, register
from tests.bot.services.test_coordinator_desk import COORDINATOR_DESK

OUTBOX = Outbox(VAULT, "telegram")
LEASE = timedelta(seconds=60)


def runner(db: Database, owner: str = "one") -> TaskRunner:
    registry = TaskRegistry()
    register_case_tasks(registry, DESK)
    register_urgent_tasks(registry, LADDER)
    return TaskRunner(db, registry, OUTBOX, owner=owner, lease=LEASE)


async def run_until(runners: list[TaskRunner], clock: ManualClock, hours: float) -> None:
    """Move the clock in 10-minute steps up to `hours` after NOW, ticking every runner."""
    while clock.now() < NOW + timedelta(hours=hours):
        clock.advance(timedelta(minutes=10))
        for one in runners:
            await one.tick(clock.now())


async def urgent_case(db: Database, key: str = "u" * 64) -> Case:
    parent = await a_parent_with_key(db, key)
    async with db.transaction() as uow:
        case, _ = await DESK.open(uow, parent, "nl", {"question": "…"}, True, NOW)
    assert case is not None
    return case


async def messages_to(db: Database, person_id: int) -> list[str]:
    """The texts of every message the outbox holds for a person, oldest first."""
    return [payload.get("text", "") for payload in await payloads_to(db, person_id)]


async def payloads_to(db: Database, person_id: int) -> list[dict[str, Any]]:
    """Every message the outbox holds for a person, opened, oldest first."""
    async with db.transaction() as uow:
        person = await uow.people.get(person_id)
    assert person is not None
    t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            select(t.sealed_payload).where(t.recipient == person.subject_hash).order_by(t.id)
        )
        return [json.loads(VAULT.open(p)) for (p,) in rows.all() if p]


async def state(db: Database, case: Case) -> tuple[Case, list[str], list[tuple[int, str]]]:
    async with db.transaction() as uow:
        now = await uow.cases.get(case.id)
        history = [kind for kind, _ in await uow.cases.history(case.id)]
        offers = [(person, status) for _, person, status in await uow.cases.offers_of(case.id)]
    assert now is not None
    return now, history, offers


async def accept(db: Database, vp: int, case: Case, clock: ManualClock) -> None:
    async with db.transaction() as uow:
        offer = next(o for o, p, s in await uow.cases.offers_of(case.id) if p == vp and s == "open")
        person = await uow.people.get(vp)
        assert person is not None
        await DESK.answer(uow, person, offer, "yes", clock.now())


async def write(db: Database, vp: int, case: Case, clock: ManualClock) -> None:
    async with db.transaction() as uow:
        person = await uow.people.get(vp)
        current = await uow.cases.get(case.id)
        assert person is not None and current is not None
        said = Said("text", 1, 1, "Ik ben er, ik bel je vandaag.")
        await DESK.relay.staff_to(uow, person, current, said, clock.now())


async def test_one_responsive_vp_is_in_contact_well_within_48_hours(database: Database) -> None:
    vps = [await register(database, n, Profile("vp", f"V{n}", ("nl",), "f")) for n in (1, 2, 3, 4)]
    coordinator = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    clock, tasks = ManualClock(NOW), runner(database)
    case = await urgent_case(database)
    _, _, offered = await state(database, case)
    await run_until([tasks], clock, 0.5)
    await accept(database, offered[1][0], case, clock)  # the second of the wave is quickest
    await run_until([tasks], clock, 1)
    await write(database, offered[1][0], case, clock)
    await run_until([tasks], clock, 49)
    after, history, offers = await state(database, case)
    assert len(offered) == 3 and {p for p, _ in offered} < set(vps)  # the first wave: 3 of 4
    assert after.status == "in_contact" and after.breached_at is None
    assert after.first_contact_at is not None
    assert after.first_contact_at - after.created_at <= timedelta(hours=1, minutes=10)
    assert sorted(s for _, s in offers) == ["accepted", "withdrawn", "withdrawn"]
    assert "ladder" not in history and "breach" not in history
    told = await messages_to(database, coordinator)
    assert len(told) == 1 and case.alias in told[0]  # the coordinator heard at once
    # /urgent: the case, in contact; the figures of the last 30 days
    async with database.transaction() as uow:
        person = await uow.people.get(coordinator)
        assert person is not None
        [view] = await COORDINATOR_DESK.handle(uow, person, Command("urgent"), clock.now())
    nl = CATALOGS.translator("nl")
    head = f"{case.alias} – {words.language(nl, 'nl')}, {words.topic(nl, None)}"
    assert f"{head}, {words.state(nl, 'in_contact')}\n" in view.text
    assert "in_contact" not in view.text
    accepted = nl.gettext("to acceptance: median {median}, maximum {maximum}")
    contacted = nl.gettext("to first contact: median {median}, maximum {maximum}")
    half_hour = words.duration(nl, timedelta(minutes=30))
    hour = words.duration(nl, timedelta(hours=1))
    assert accepted.format(median=half_hour, maximum=half_hour) in view.text
    assert contacted.format(median=hour, maximum=hour) in view.text
    missed = nl.ngettext(
        "{count} time the deadline was missed", "{count} times the deadline was missed", 0
    )
    assert missed.format(count=0) in view.text
    urgent_ones = nl.ngettext(
        "Last 30 days: {count} urgent question", "Last 30 days: {count} urgent questions", 1
    )
    assert urgent_ones.format(count=1) in view.text


async def test_no_responsive_vp_every_step_fires_in_order_and_a_coordinator_assigns(
    database: Database,
) -> None:
    vps = [await register(database, n, Profile("vp", f"V{n}", ("nl",), "f")) for n in range(1, 6)]
    away = await register(database, 6, Profile("vp", "Away", ("nl",), "f"))
    await register(database, 7, Profile("vp", "Tigist", ("ti",), "f"))
    sanne = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    async with database.transaction() as uow:
        await uow.people.update(away, available=False)
    clock, tasks = ManualClock(NOW), runner(database)
    case = await urgent_case(database)
    await run_until([tasks], clock, 3.75)
    _, _, first_wave = await state(database, case)
    await run_until([tasks], clock, 23.75)
    _, _, everyone = await state(database, case)
    await run_until([tasks], clock, 24.1)
    # the coordinator's buttons list every active VP, also those normally filtered out
    async with database.transaction() as uow:
        coordinator = await uow.people.get(sanne)
        assert coordinator is not None
        t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
        rows = await uow._session.execute(
            select(t.sealed_payload).where(t.recipient == coordinator.subject_hash)
        )
        asks = [json.loads(VAULT.open(p)) for (p,) in rows.all() if p]
    ask = next(a for a in asks if a["choices"])
    labels = [row[0][0] for row in ask["choices"]]
    assert any("Away" in label for label in labels) and any("Tigist" in label for label in labels)
    assign = next(row[0][1] for row in ask["choices"] if "Away" in row[0][0])
    async with database.transaction() as uow:
        coordinator = await uow.people.get(sanne)
        assert coordinator is not None
        await COORDINATOR_DESK.handle(uow, coordinator, Pick(assign), clock.now())
    await write(database, away, case, clock)
    await run_until([tasks], clock, 49)
    after, history, offers = await state(database, case)
    assert len(first_wave) == 3 and len(everyone) == 5 and set(p for p, _ in everyone) == set(vps)
    assert after.vp_id == away and after.status == "in_contact"
    assert after.breached_at is None
    assert [k for k in history if k in ("ladder", "assigned", "in_contact", "breach")] == [
        "ladder",
        "ladder",
        "assigned",
        "in_contact",
    ]
    assert all(status == "withdrawn" for _, status in offers)


async def test_with_nobody_at_all_the_breach_is_recorded_once_at_48_hours(
    postgres_url: str,
) -> None:
    """Two instances tick side by side; the one that claims the breach step dies before it
    finishes; the other runs it after the lease. One breach, told once."""
    db = Database(postgres_url)
    await db.upgrade()
    try:
        sanne = await register(db, 9, Profile("coordinator", "Sanne de Vries"))
        clock = ManualClock(NOW)
        one, two = runner(db, "one"), runner(db, "two")
        case = await urgent_case(db)
        await run_until([one, two], clock, 47.75)
        before, _, _ = await state(db, case)
        clock.advance(timedelta(minutes=10))  # 48 h: instance one claims the step, then dies
        async with db.transaction() as uow:
            claimed = await uow.tasks.claim(clock.now(), "one", LEASE, 10)
        assert [json.loads(t.payload)["case"] for t in claimed] == [case.id]
        assert await two.tick(clock.now()) == 0  # leased by the dead one
        clock.advance(LEASE + timedelta(seconds=1))
        ran = await asyncio.gather(two.tick(clock.now()), runner(db, "one again").tick(clock.now()))
        await run_until([one, two], clock, 60)
        after, history, _ = await state(db, case)
        told = await messages_to(db, sanne)
    finally:
        await db.dispose()
    assert before.breached_at is None and sorted(ran) == [0, 1]
    assert after.breached_at == NOW + timedelta(hours=48, seconds=61)
    assert history.count("breach") == 1
    # the alert again every breach_repeat (4 h) until contact: at 48, 52, 56 and 60 hours
    assert history.count("alert") == 3
    assert [text for text in told if f"/case {case.alias}" in text] == told[-4:]
