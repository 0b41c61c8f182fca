"""Referral as a stage (#17), on a clock the test controls, wired as in production: the case
stays open and relaying; the parent is asked after the appointment whether care started;
"it's stuck" or a second "not yet" opens a mediation for the VP, who records its steps
(sealed); an unanswered check-in closes the case as "no answer"; figures per partner and
week, never linked to a person."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.services.referrals import appointment_day, typed_day
from bot.services.relay import Said
from flows.inputs import Command, Pick, Text
from flows.outputs import Reply
from storage.people import Profile
from storage.tables import CaseNoteRow
from tests.bot.services.test_retention import purge_on
from tests.bot.services.world import AMSTERDAM, MORNING, World, a_case_accepted, join

PARTNERS = """
partners:
  - id: cjg_zuidoost
    name: CJG Zuidoost
    kind: cjg
    languages: [nl, ar]
    contact:
      phone: "+31 20 000 0001"
    contact_person: Fatima
  - id: wijkteam_noord
    name: Wijkteam Noord
    kind: wijkteam
"""
STEP = "CJG gebeld: de intake was vergeten, nieuwe afspraak op maandag."


def with_partners(world: World) -> None:
    text = world.core.coordinator.text.replace("partners: []", PARTNERS.strip())
    assert world.core.coordinator.apply(text, "test") == []
    assert len(world.core.coordinator.current.partners) == 2


def texts(messages: list[tuple[datetime, dict[str, Any]]]) -> list[str]:
    return [payload.get("text", "") for _, payload in messages]


def action(reply: Reply, label_part: str) -> str:
    return next(c.action for row in reply.choices for c in row if label_part in c.label)


async def in_contact(world: World, parent: int, vp: int) -> str:
    alias = await a_case_accepted(world, parent, vp)
    await world.say(vp, Text("Hoi, ik ben er."), Said("text", vp, 1, "Hoi, ik ben er."))
    return alias


async def refer(world: World, vp: int, alias: str, when: str) -> list[Reply]:
    """/refer ALIAS, the CJG, then the appointment button `when` (its English source)."""
    [partners] = await world.say(vp, Command("refer", alias))
    [days] = await world.say(vp, Pick(action(partners, "CJG Zuidoost")))
    nl = world.core.catalogs.translator("nl")  # staff who chose no language read Dutch
    return await world.say(vp, Pick(action(days, nl.gettext(when))))


async def status_of(world: World, alias: str) -> str:
    async with world.core.database.transaction() as uow:
        case = await uow.cases.by_alias(alias)
    assert case is not None
    return case.status


async def checkins(world: World, parent: int) -> list[dict[str, Any]]:
    """The referral check-ins the parent got: the question with its buttons."""
    return [p for _, p in await world.to(parent) if p.get("choices") and "CJG" in p["text"]]


async def figures(world: World) -> dict[str, int]:
    async with world.core.database.transaction() as uow:
        rows = await uow.referrals.figures()
    totals = {"referrals": 0, "reached": 0, "helped": 0, "stalled": 0, "mediated": 0}
    for row in rows:
        assert set(row) == {"week", "partner_id", *totals}  # nothing that names a person
        for key in totals:
            totals[key] += int(row[key])
    return totals


def test_the_appointment_buttons_and_typed_dates() -> None:
    monday, saturday = date(2026, 11, 23), date(2026, 11, 28)
    assert appointment_day("w0", monday) == date(2026, 11, 27)
    assert appointment_day("w0", saturday) == saturday  # past Friday: this week is today
    assert appointment_day("w1", monday) == date(2026, 12, 4)
    assert appointment_day("w2", monday) == date(2026, 12, 11)
    assert appointment_day("none", monday) is None
    assert typed_day("14-12", monday) == date(2026, 12, 14)
    assert typed_day(" 3-1 ", monday) == date(2027, 1, 3)  # long past this year: next year
    assert typed_day("20-11", monday) == date(2026, 11, 20)  # just past: a late record
    for wrong in ("31-02", "14/12", "maandag", "", "14-13", "0-5"):
        assert typed_day(wrong, monday) is None


async def test_a_referral_stays_open_and_stalled_care_is_mediated(world: World) -> None:
    with_partners(world)
    await join(world, 701, Profile("vp", "Amina E", ("nl",), "f", capacity=1))
    await join(world, 702, Profile("vp", "Noor B", ("nl",), "f", capacity=1))
    alias = await in_contact(world, 700, 701)
    [referred] = await refer(world, 701, alias, "Next week")
    nl = world.core.catalogs.translator("nl")
    # open and relaying; not toward the parent's limit, nor toward the VP's capacity
    assert await status_of(world, alias) == "referred"
    assert "CJG Zuidoost" in referred.text and "vrijdag 4 december" in referred.text
    await world.say(700, Text("Wanneer is de afspraak?"), Said("text", 700, 5, "Wanneer?"))
    relayed = [p["said"]["text"] for _, p in await world.to(701) if "said" in p]
    assert relayed == ["Wanneer?"]  # the parent's message after the referral reaches the VP
    async with world.core.database.transaction() as uow:
        assert (await uow.cases.load_per_vp()).get(1, 0) == 0
        parent = await uow.parents.find(world.core.vault.subject_hash("telegram", 700))
        assert parent is not None and await uow.cases.open_count(parent.id) == 0
    [card_head, *_] = await world.say(701, Command("case", alias))
    for line in ("CJG Zuidoost", "Fatima", "+31 20 000 0001", "vrijdag 4 december"):
        assert line in card_head.text
    # the check-in: Saturday 5 December at 10:00, silent; the first line names nobody
    await world.tick_until(datetime(2026, 12, 5, 8, 50, tzinfo=UTC))
    assert await checkins(world, 700) == []
    await world.tick_until(datetime(2026, 12, 5, 9, 10, tzinfo=UTC))
    sent = [p for at, p in await world.to(700) if at >= datetime(2026, 12, 5, tzinfo=UTC)]
    first, question = sent
    assert first["silent"] and question["silent"]
    assert "CJG" not in first["text"] and "school" not in first["text"].lower()
    assert "CJG Zuidoost" in question["text"]
    # "it's stuck": a mediation for the VP, which counts toward their capacity
    await world.say(700, Pick(question["choices"][2][0][1]))
    told = texts(await world.to(701))[-1]
    assert alias in told and "Fatima" in told and f"/step {alias}" in told
    async with world.core.database.transaction() as uow:
        assert (await uow.cases.load_per_vp()).get(1, 0) == 1
        assert await uow.referrals.mediating()
    # two steps, sealed; then the VP asks the parent, who says it helps now
    [saved] = await world.say(701, Command("step", f"{alias} {STEP}"))
    [saved] = await world.say(701, Command("step", f"{alias} Ouder belt zelf maandag."))
    assert (
        nl.ngettext(
            "Step saved: {count} step so far on {alias}. When you think it works now, ask the "
            "parent.",
            "Step saved: {count} steps so far on {alias}. When you think it works now, ask the "
            "parent.",
            2,
        ).format(count=2, alias=alias)
        == saved.text
    )
    await world.say(701, Pick(saved.choices[0][0].action))
    await world.runner.tick(world.clock.now())
    again = (await checkins(world, 700))[-1]
    await world.say(700, Pick(again["choices"][0][0][1]))  # yes, it helps
    assert "CJG Zuidoost" in texts(await world.to(701))[-1]
    [outcomes] = await world.say(701, Command("close", alias))
    await world.say(701, Pick(action(outcomes, nl.gettext("Helped"))))
    assert await status_of(world, alias) == "closed"
    assert await figures(world) == {
        "referrals": 1,
        "reached": 1,
        "helped": 1,
        "stalled": 1,
        "mediated": 1,
    }
    # the steps were sealed, and go with the case at the purge
    note = CaseNoteRow.__table__.c  # type: ignore[attr-defined]
    async with world.core.database.engine.connect() as connection:
        stored = list((await connection.execute(select(note.sealed_text))).scalars())
    assert len(stored) == 2 and not any("CJG gebeld" in s for s in stored)
    await purge_on(world, (world.clock.now() - MORNING).days + 91)
    async with world.core.database.engine.connect() as connection:
        assert list((await connection.execute(select(note.sealed_text))).scalars()) == []
    assert (await figures(world))["referrals"] == 1  # the figures outlive the case


async def test_not_yet_asks_again_and_a_second_not_yet_opens_a_mediation(world: World) -> None:
    with_partners(world)
    await join(world, 711, Profile("vp", "Amina E", ("nl",), "f"))
    alias = await in_contact(world, 710, 711)
    await refer(world, 711, alias, "No appointment yet")
    # no date: 14 days after the referral
    await world.tick_until(MORNING + timedelta(days=13, hours=23))
    assert await checkins(world, 710) == []
    await world.tick_until(MORNING + timedelta(days=14, minutes=10))
    [first] = await checkins(world, 710)
    await world.say(710, Pick(first["choices"][1][0][1]))  # not yet
    told = texts(await world.to(711))[-1]
    assert alias in told and "Mediation" not in told
    async with world.core.database.transaction() as uow:
        assert not await uow.referrals.mediating()
    await world.tick_until(MORNING + timedelta(days=17, minutes=20))
    [_, second] = await checkins(world, 710)
    await world.say(710, Pick(second["choices"][1][0][1]))  # not yet, again
    async with world.core.database.transaction() as uow:
        assert await uow.referrals.mediating()
    assert f"/step {alias}" in texts(await world.to(711))[-1]
    assert (await figures(world))["stalled"] == 1


async def test_an_unanswered_check_in_closes_the_case_as_no_answer(world: World) -> None:
    with_partners(world)
    await join(world, 721, Profile("vp", "Amina E", ("nl",), "f"))
    alias = await in_contact(world, 720, 721)
    await refer(world, 721, alias, "This week")  # Friday 27 November
    await world.tick_until(datetime(2026, 11, 28, 9, 10, tzinfo=UTC))
    assert len(await checkins(world, 720)) == 1
    await world.tick_until(datetime(2026, 12, 5, 8, 50, tzinfo=UTC))
    assert await status_of(world, alias) == "referred"
    await world.tick_until(datetime(2026, 12, 5, 9, 20, tzinfo=UTC))
    assert await status_of(world, alias) == "closed"
    assert any(alias in t and "CJG Zuidoost" in t for t in texts(await world.to(721))[-2:])
    async with world.core.database.transaction() as uow:
        case = await uow.cases.by_alias(alias)
    assert case is not None and case.outcome == "no_answer"


async def test_a_typed_appointment_is_checked_and_moves_the_one_check_in(world: World) -> None:
    with_partners(world)
    await join(world, 731, Profile("vp", "Amina E", ("nl",), "f"))
    alias = await in_contact(world, 730, 731)
    [how] = await refer(world, 731, alias, "I will type the date")
    assert f"/appointment {alias} 14-12" in how.text
    [wrong] = await world.say(731, Command("appointment", f"{alias} 31-02"))
    assert "31-02" in wrong.text
    [good] = await world.say(731, Command("appointment", f"{alias.lower()} 1-12"))
    assert "dinsdag 1 december" in good.text
    await world.tick_until(datetime(2026, 12, 2, 9, 10, tzinfo=UTC))
    assert len(await checkins(world, 730)) == 1  # moved, not added
    await world.tick_until(datetime(2026, 12, 8, 9, 10, tzinfo=UTC))  # the old 14 days
    assert len(await checkins(world, 730)) == 1


async def test_only_the_vp_of_a_case_in_contact_refers_it(world: World) -> None:
    with_partners(world)
    await join(world, 741, Profile("vp", "Amina E", ("nl",), "f"))
    await join(world, 742, Profile("vp", "Noor B", ("nl",), "f"))
    nl = world.core.catalogs.translator("nl")
    alias = await a_case_accepted(world, 740, 741)
    [first] = await world.say(741, Command("refer", alias))
    assert (
        not first.choices
        and nl.gettext(
            "Write to the parent of {alias} first: a question is referred once you are in contact."
        ).format(alias=alias)
        == first.text
    )
    await world.say(741, Text("Hoi"), Said("text", 741, 1, "Hoi"))
    not_yours = nl.gettext("{alias} is not one of your open questions.").format(alias=alias)
    assert [r.text for r in await world.say(742, Command("refer", alias))] == [not_yours]
    assert [r.text for r in await world.say(742, Command("step", f"{alias} x"))] == [not_yours]
    assert [r.text for r in await world.say(742, Command("appointment", f"{alias} 1-12"))] == [
        not_yours
    ]
    await refer(world, 741, alias, "This week")
    # a forged button for someone else's case does nothing
    async with world.core.database.transaction() as uow:
        case = await uow.cases.by_alias(alias)
    assert case is not None
    [refused] = await world.say(742, Pick(f"askref:{case.id}"))
    assert refused.text == nl.gettext("That button no longer works.")
    # the parent has no such commands
    for name in ("step", "refer", "appointment"):
        [answer] = await world.say(740, Command(name, f"{alias} x"))
        assert alias not in answer.text and STEP not in answer.text


@pytest.mark.parametrize("appointment", [date(2026, 11, 24)])
async def test_the_check_in_respects_quiet_hours(world: World, appointment: date) -> None:
    """checkin_at is a setting: at 06:00 it waits until the quiet hours end at 08:00."""
    with_partners(world)
    text = world.core.coordinator.text.replace('checkin_at: "10:00"', 'checkin_at: "06:00"')
    assert world.core.coordinator.apply(text.replace("partners: []", PARTNERS.strip()), "t") == []
    await join(world, 751, Profile("vp", "Amina E", ("nl",), "f"))
    alias = await in_contact(world, 750, 751)
    await refer(world, 751, alias, "I will type the date")
    await world.say(751, Command("appointment", f"{alias} {appointment:%d-%m}"))
    await world.tick_until(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    [sent] = [at for at, p in await world.to(750) if p.get("choices") and "CJG" in p["text"]]
    assert sent.astimezone(AMSTERDAM).hour == 8


async def the_cjg_page(world: World, parent: int, language: str) -> list[Reply]:
    """/start, the language, "what help is there", then the CJG button."""
    await world.say(parent, Command("start"))
    welcome = await world.say(parent, Pick(f"lang:{language}"))
    menu = next(r for r in reversed(welcome) if r.choices)
    information = await world.say(parent, Pick(menu.choices[1][0].action))
    kinds = next(r for r in reversed(information) if r.choices)
    return await world.say(parent, Pick(kinds.choices[0][0].action))


async def test_the_information_flow_names_the_local_partners(world: World) -> None:
    before = await the_cjg_page(world, 760, "nl")
    with_partners(world)
    dutch = await the_cjg_page(world, 761, "nl")
    arabic = await the_cjg_page(world, 762, "ar")
    ar = world.core.catalogs.translator("ar")
    assert not any("CJG Zuidoost" in r.text for r in before)  # no map: the general text only
    explained, local, more = dutch
    assert "Centrum voor Jeugd en Gezin" in explained.text and not explained.choices
    assert "CJG Zuidoost" in local.text and "+31 20 000 0001" in local.text
    assert "Wijkteam Noord" not in local.text  # another kind
    assert more.choices  # the question that follows comes after the list
    nl_speaks = world.core.catalogs.translator("nl").gettext(
        "They can also help you in your own language."
    )
    assert nl_speaks not in local.text  # Dutch is everyone's language here
    [ar_local] = [r for r in arabic if "CJG Zuidoost" in r.text]
    assert ar_local.rtl
    assert ar.gettext("They can also help you in your own language.") in ar_local.text


async def test_a_second_referral_takes_the_place_of_the_first(world: World) -> None:
    with_partners(world)
    await join(world, 781, Profile("vp", "Amina E", ("nl",), "f"))
    alias = await in_contact(world, 780, 781)
    await refer(world, 781, alias, "This week")  # CJG Zuidoost, Friday 27 November
    [partners] = await world.say(781, Command("refer", alias))
    [days] = await world.say(781, Pick(action(partners, "Wijkteam Noord")))
    nl = world.core.catalogs.translator("nl")
    await world.say(781, Pick(action(days, nl.gettext("No appointment yet"))))
    await world.tick_until(MORNING + timedelta(days=14, minutes=10))
    asked = [p["text"] for _, p in await world.to(780) if p.get("choices")]
    assert not any("CJG Zuidoost" in t for t in asked)  # the first one's check-in is gone
    assert sum("Wijkteam Noord" in t for t in asked) == 1
    async with world.core.database.transaction() as uow:
        rows = await uow.referrals.figures()
    assert {r["partner_id"]: r["referrals"] for r in rows} == {
        "cjg_zuidoost": 1,
        "wijkteam_noord": 1,
    }
