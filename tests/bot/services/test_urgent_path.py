"""The honest urgent path (issue 13): on a clock the test controls, through the production
task runner. The language problem reaches the coordinators at once; contact needs someone
who speaks the parent's language; only the parent ends the 48-hour clock; a breach tells
the parent and keeps alerting the coordinators."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.services import staff_words as words
from bot.services.clock import ManualClock
from bot.services.relay import Said
from flows.inputs import Command, Pick
from flows.outputs import Reply
from flows.steps.emergency import CONTEXT as EMERGENCY_CONTEXT
from flows.steps.emergency import TEXT as EMERGENCY_TEXT
from storage import Database
from storage.people import Profile
from storage.records import Case
from storage.tables import OutboxMessage
from tests.bot.services.test_cases import CATALOGS, DESK, NOW, SETTINGS, VAULT, register
from tests.bot.services.test_coordinator_desk import COORDINATOR_DESK
from tests.bot.services.test_urgent import (
    accept,
    messages_to,
    payloads_to,
    run_until,
    runner,
    state,
)

PARENT_KEY = "k" * 64


async def a_parent(db: Database, language: str) -> int:
    async with db.transaction() as uow:
        parent = await uow.parents.get_or_create("telegram", PARENT_KEY, VAULT.seal(7), NOW)
        await uow.parents.set_language(parent.id, language, NOW)
    return parent.id


async def urgent(
    db: Database, language: str, answers: dict[str, Any] | None = None
) -> tuple[Case, list[str]]:
    """An urgent case of a parent who speaks `language`; and what they were told at once."""
    parent = await a_parent(db, language)
    async with db.transaction() as uow:
        case, told = await DESK.open(uow, parent, language, answers or {"question": "…"}, True, NOW)
    assert case is not None
    return case, [reply.text for reply in told]


async def to_parent(db: Database) -> list[str]:
    t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            select(t.sealed_payload).where(t.recipient == PARENT_KEY).order_by(t.id)
        )
        return [json.loads(VAULT.open(p)).get("text", "") for (p,) in rows.all() if p]


async def write(db: Database, vp: int, case: Case, clock: ManualClock) -> None:
    async with db.transaction() as uow:
        person = await uow.people.get(vp)
        current = await uow.cases.get(case.id)
        assert person is not None and current is not None
        await DESK.relay.staff_to(uow, person, current, Said("text", 1, 1, "…"), clock.now())


async def press(db: Database, coordinator: int, action: str, clock: ManualClock) -> list[Reply]:
    async with db.transaction() as uow:
        person = await uow.people.get(coordinator)
        assert person is not None
        return await COORDINATOR_DESK.handle(uow, person, Pick(action), clock.now())


def assign_buttons(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in payloads if any(str(r[0][1]).startswith("assign:") for r in p["choices"])]


async def test_nobody_speaks_ukrainian_the_coordinators_get_the_buttons_at_once(
    database: Database,
) -> None:
    await register(database, 1, Profile("vp", "Amina", ("nl", "ar"), "f"))
    sanne = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    clock, tasks = ManualClock(NOW), runner(database)
    case, told = await urgent(database, "uk")
    clock.advance(timedelta(seconds=1))
    await tasks.tick(clock.now())  # the scheduler ticks every second
    [asked] = assign_buttons(await payloads_to(database, sanne))
    nl, uk = CATALOGS.translator("nl"), CATALOGS.translator("uk")
    nobody = nl.gettext("Nobody speaks {language}.").format(language=words.language(nl, "uk"))
    assert asked["text"].startswith(nobody) and "Oekraïens" in nobody
    assert [r[0][1] for r in asked["choices"]] == [f"assign:{case.id}:1"]
    assert told == [
        uk.gettext(
            "We are looking for a vertrouwenspersoon who speaks your language. "
            "This can take a little longer. We will let you know here."
        )
    ]
    await run_until([tasks], clock, 25)  # the 24-hour step asks nothing more
    assert len(assign_buttons(await payloads_to(database, sanne))) == 1


async def test_the_parent_hears_how_many_are_asked_only_when_several(database: Database) -> None:
    nl = CATALOGS.translator("nl")
    _, nobody = await urgent(database, "nl")
    await register(database, 1, Profile("vp", "Amina", ("nl",), "f"))
    async with database.transaction() as uow:
        _, told_one = await DESK.open(uow, 1, "nl", {"question": "…"}, True, NOW)
    for n in (2, 3, 4):
        await register(database, n, Profile("vp", f"V{n}", ("nl",), "f"))
    async with database.transaction() as uow:
        parent = await uow.parents.get_or_create("telegram", "m" * 64, None, NOW)
        _, told_many = await DESK.open(uow, parent.id, "nl", {"question": "…"}, True, NOW)
    assert nobody == [
        nl.gettext(
            "We are looking for a vertrouwenspersoon who speaks your language. "
            "This can take a little longer. We will let you know here."
        )
    ]
    single = nl.gettext("We have asked a vertrouwenspersoon who speaks your language.")
    assert [r.text for r in told_one] == [single]
    many = nl.ngettext(
        "We are now asking {count} vertrouwenspersoon at once.",
        "We are now asking {count} vertrouwenspersonen at once.",
        SETTINGS.urgent.first_wave,
    ).format(count=SETTINGS.urgent.first_wave)
    assert [r.text for r in told_many] == [many] and "3" in many


async def test_across_languages_a_confirmation_and_no_contact_until_a_duo_partner_speaks_it(
    database: Database,
) -> None:
    hatice = await register(database, 1, Profile("vp", "Hatice", ("tr", "nl"), "f"))
    amina = await register(database, 2, Profile("vp", "Amina", ("ar",), "f"))
    sanne = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    async with database.transaction() as uow:
        await uow.people.update(amina, available=False)  # speaks it, but away: no offer
    clock, tasks = ManualClock(NOW), runner(database)
    case, _ = await urgent(database, "ar")
    await run_until([tasks], clock, 24.1)
    [asked] = assign_buttons(await payloads_to(database, sanne))
    to_hatice = next(r[0][1] for r in asked["choices"] if "Hatice" in r[0][0])
    [confirm] = await press(database, sanne, to_hatice, clock)
    nl = CATALOGS.translator("nl")
    before, _, _ = await state(database, case)
    assert before.vp_id is None  # nothing happened yet: only a question
    assert "Amina" in confirm.text and case.alias in confirm.text
    [[yes]] = confirm.choices
    assert yes.action == f"assign:{case.id}:{hatice}:sure0"
    assert yes.label == nl.gettext("Yes, give it to {name}").format(name="Hatice")
    sure = yes.action
    await press(database, sanne, sure, clock)
    await write(database, hatice, case, clock)  # "I don't speak Arabic"
    not_yet, _, _ = await state(database, case)
    async with database.transaction() as uow:
        await uow.cases.add_member(case.id, amina, clock.now())  # /duo, the parent agreed
    clock.advance(timedelta(minutes=5))
    await write(database, hatice, case, clock)
    after, history, _ = await state(database, case)
    assert not_yet.vp_id == hatice and not_yet.status == "accepted"
    assert not_yet.first_contact_at is None
    assert after.status == "in_contact" and after.first_contact_at == clock.now()
    assert history.count("in_contact") == 1


async def test_reassign_across_languages_asks_first_too(database: Database) -> None:
    await register(database, 1, Profile("vp", "Hatice", ("tr",), "f"))
    sanne = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    case, _ = await urgent(database, "uk")
    async with database.transaction() as uow:
        person = await uow.people.get(sanne)
        assert person is not None
        [reply] = await COORDINATOR_DESK.handle(
            uow, person, Command("reassign", f"{case.alias} 1"), NOW
        )
    after, _, _ = await state(database, case)
    nl = CATALOGS.translator("nl")
    assert after.vp_id is None and reply.choices
    assert nl.gettext("Nobody speaks {language}.").format(language="Oekraïens") in reply.text


async def test_a_confirmation_gone_stale_moves_nothing(database: Database) -> None:
    """The coordinator is asked to confirm a VP across languages; meanwhile a VP who speaks
    the language accepts: the late "yes" does not take the case away from her."""
    hatice = await register(database, 1, Profile("vp", "Hatice", ("tr",), "f"))
    amina = await register(database, 2, Profile("vp", "Amina", ("ar",), "f"))
    sanne = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    clock = ManualClock(NOW)
    case, _ = await urgent(database, "ar")  # offered to Amina
    async with database.transaction() as uow:
        person = await uow.people.get(sanne)
        assert person is not None
        [confirm] = await COORDINATOR_DESK.handle(
            uow, person, Command("reassign", f"{case.alias} {hatice}"), NOW
        )
    [[yes]] = confirm.choices
    await accept(database, amina, case, clock)
    [answer] = await press(database, sanne, yes.action, clock)
    after, _, _ = await state(database, case)
    assert after.vp_id == amina
    nl = CATALOGS.translator("nl")
    taken = nl.gettext("{alias} has been taken by a colleague. Thank you.")
    assert answer.text == taken.format(alias=case.alias)


async def test_a_vp_who_blocks_before_contact_sends_it_up_the_ladder_and_it_breaches_once(
    database: Database,
) -> None:
    first = await register(database, 1, Profile("vp", "V1", ("nl",), "f"))
    second = await register(database, 2, Profile("vp", "V2", ("nl",), "f"))
    sanne = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    clock, tasks = ManualClock(NOW), runner(database)
    case, _ = await urgent(database, "nl")
    await run_until([tasks], clock, 1)
    await accept(database, first, case, clock)
    await run_until([tasks], clock, 2)
    async with database.transaction() as uow:
        vp = await uow.people.get(first)
        current = await uow.cases.get(case.id)
        assert vp is not None and current is not None
        [to_vp] = await DESK.block(uow, vp, current, clock.now())
    again, _, offers = await state(database, case)
    await run_until([tasks], clock, 3)
    asked = assign_buttons(await payloads_to(database, sanne))  # nobody new to offer it to
    await run_until([tasks], clock, 60)
    after, history, _ = await state(database, case)
    assert again.status in ("waiting", "offered") and again.vp_id is None
    assert again.closed_at is None and again.outcome is None
    assert (first, "accepted") in offers and len(asked) == 1
    assert [r[0][1] for r in asked[0]["choices"]] == [f"assign:{case.id}:{second}"]
    assert case.alias in to_vp.text
    assert after.breached_at is not None and after.breached_at >= NOW + timedelta(hours=48)
    assert history.count("breach") == 1
    told = await messages_to(database, sanne)
    assert any("/case" in text and case.alias in text for text in told)


async def test_a_vp_who_closes_before_contact_does_not_stop_the_clock(database: Database) -> None:
    first = await register(database, 1, Profile("vp", "V1", ("nl",), "f"))
    clock, tasks = ManualClock(NOW), runner(database)
    case, _ = await urgent(database, "nl")
    await accept(database, first, case, clock)
    async with database.transaction() as uow:
        vp = await uow.people.get(first)
        current = await uow.cases.get(case.id)
        assert vp is not None and current is not None
        await DESK.close(uow, vp, current, "no_contact", clock.now())
    await run_until([tasks], clock, 49)
    after, history, _ = await state(database, case)
    assert after.status == "waiting" and after.breached_at is not None
    assert history.count("breach") == 1 and "closed" not in history


async def test_at_the_breach_the_parent_hears_and_the_alert_repeats_until_contact(
    database: Database,
) -> None:
    sanne = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    clock, tasks = ManualClock(NOW), runner(database)
    case, _ = await urgent(database, "uk")
    await run_until([tasks], clock, 48.5)
    parent_heard = await to_parent(database)
    await run_until([tasks], clock, 56.5)  # alerts at 48, 52 and 56 hours
    vp = await register(database, 1, Profile("vp", "Olena", ("uk",), "f"))
    async with database.transaction() as uow:
        coordinator = await uow.people.get(sanne)
        current = await uow.cases.get(case.id)
        assert coordinator is not None and current is not None
        olena = await uow.people.get(vp)
        assert olena is not None
        await DESK.assign_by_hand(uow, coordinator, current, olena, clock.now())
    await write(database, vp, case, clock)
    await run_until([tasks], clock, 72)
    _, history, _ = await state(database, case)
    uk = CATALOGS.translator("uk")
    update = uk.gettext(
        "We are sorry: we have not yet found a vertrouwenspersoon for your urgent "
        "question. We are still looking, and a coordinator is now helping. "
        "If someone is in danger now, please call:"
    )
    assert parent_heard[-2:] == [update, uk.pgettext(EMERGENCY_CONTEXT, EMERGENCY_TEXT)]
    assert "0800-2000" in parent_heard[-1]
    alerts = [t for t in await messages_to(database, sanne) if f"/case {case.alias}" in t]
    assert len(alerts) == 3 and history.count("breach") == 1 and history.count("alert") == 2


async def test_a_parent_who_used_stop_ends_the_clock_without_a_breach(database: Database) -> None:
    clock, tasks = ManualClock(NOW), runner(database)
    case, _ = await urgent(database, "nl")
    async with database.transaction() as uow:
        await uow.parents.mark_stopped(PARENT_KEY, NOW + timedelta(hours=1))
    await run_until([tasks], clock, 60)
    after, history, _ = await state(database, case)
    assert after.breached_at is None and "breach" not in history
    assert await to_parent(database) == []


async def test_the_danger_description_and_safe_time_reach_the_vp_after_accept_only(
    database: Database,
) -> None:
    vp = await register(database, 1, Profile("vp", "Amina", ("nl",), "f"))
    answers = {"topic": "safety", "question": "Mijn man slaat", "safe_time": "na 15 uur"}
    clock = ManualClock(NOW)
    case, _ = await urgent(database, "nl", answers)
    offered = await payloads_to(database, vp)
    await accept(database, vp, case, clock)
    after = (await payloads_to(database, vp))[len(offered) :]
    nl = CATALOGS.translator("nl")
    assert not any("Mijn man" in p["text"] or "15 uur" in p["text"] for p in offered)
    assert [p["text"] for p in after][1:] == [
        "Mijn man slaat",
        nl.gettext("A safe time to contact them, in their words: {time}").format(time="na 15 uur"),
    ]
    assert all(p.get("protect") for p in after[1:])


async def test_a_skipped_description_says_so_instead_of_a_dash(database: Database) -> None:
    vp = await register(database, 1, Profile("vp", "Amina", ("nl",), "f"))
    case, _ = await urgent(database, "nl", {"topic": "safety"})
    await accept(database, vp, case, ManualClock(NOW))
    texts = [p["text"] for p in await payloads_to(database, vp)]
    nl = CATALOGS.translator("nl")
    assert texts[-1] == nl.gettext("(The parent did not describe the situation.)")
    assert "-" not in texts
