"""The console's board and case page as plain facts: open cases by state with their urgent
clocks, a case's history in words, why each VP would or would not get it; and a coordinator
closing a case."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.services import case_board
from bot.services import case_history as history
from bot.services import staff_words as words
from bot.services.case_board import BLOCKED, SOON, urgent_clock
from storage import Database
from storage.board import OpenCase
from storage.people import Profile
from storage.records import Case
from storage.tables import OutboxMessage
from tests.bot.services.test_case_access import a_parent_with_key
from tests.bot.services.test_cases import CATALOGS, DESK, NOW, SETTINGS, VAULT, register

LIMIT = SETTINGS.urgent.breach_after
NL = CATALOGS.translator("nl")


def an_open_case(**changes: object) -> OpenCase:
    facts: dict[str, object] = {
        "id": 1,
        "alias": "KAAA",
        "language": "ar",
        "topic": None,
        "urgent": True,
        "status": "offered",
        "vp_id": None,
        "vp_name": None,
        "created_at": NOW,
        "accepted_at": None,
        "first_contact_at": None,
        "breached_at": None,
        "open_offers": 1,
    }
    return OpenCase(**(facts | changes))  # type: ignore[arg-type]


def test_the_urgent_clock_runs_until_contact() -> None:
    fresh = urgent_clock(an_open_case(), LIMIT, NOW + timedelta(hours=1))
    assert fresh is not None and fresh.state == "" and fresh.left == LIMIT - timedelta(hours=1)
    assert fresh.deadline == NOW + LIMIT
    soon = urgent_clock(an_open_case(), LIMIT, NOW + LIMIT - SOON + timedelta(minutes=1))
    assert soon is not None and soon.state == "soon"
    late = urgent_clock(an_open_case(), LIMIT, NOW + LIMIT + timedelta(hours=3))
    assert late is not None and late.late and late.over == timedelta(hours=3)
    assert late.left == timedelta(0)
    # the breach as recorded counts, even when the clock's limit changed since
    recorded = an_open_case(breached_at=NOW + timedelta(hours=2))
    marked = urgent_clock(recorded, LIMIT, NOW + timedelta(hours=5))
    assert marked is not None and marked.late and marked.over == timedelta(hours=3)
    assert urgent_clock(an_open_case(urgent=False), LIMIT, NOW) is None
    in_contact = an_open_case(status="in_contact", first_contact_at=NOW)
    assert urgent_clock(in_contact, LIMIT, NOW + LIMIT * 2) is None


async def test_the_board_groups_open_cases_urgent_first(database: Database) -> None:
    amina = await register(database, 1, Profile("vp", "Amina E", ("ar",), "f", capacity=5))
    parents = [await a_parent_with_key(database, str(i) * 64) for i in range(1, 6)]
    async with database.transaction() as uow:
        calm, _ = await DESK.open(uow, parents[0], "ar", {}, False, NOW)
        urgent, _ = await DESK.open(uow, parents[1], "ar", {}, True, NOW + timedelta(hours=1))
        nobody, _ = await DESK.open(uow, parents[2], "ti", {}, False, NOW)
        late, _ = await DESK.open(uow, parents[3], "ti", {}, True, NOW - LIMIT)
        done, _ = await DESK.open(uow, parents[4], "ar", {}, False, NOW)
        assert calm and urgent and nobody and late and done
        await uow.cases.breach(late.id, NOW)
        await uow.cases.close(done.id, "closed", "helped", NOW)
    async with database.transaction() as uow:
        shown = await case_board.board(uow, SETTINGS, NOW + timedelta(hours=3))
    groups = {state: [entry.case.alias for entry in cases] for state, cases in shown.groups}
    assert list(groups) == ["waiting", "offered", "accepted", "in_contact", "referred"]
    assert groups["offered"] == [urgent.alias, calm.alias]  # urgent first, though younger
    assert groups["waiting"] == [late.alias, nobody.alias]
    assert groups["accepted"] == [] and groups["in_contact"] == []
    assert done.alias not in str(groups)
    assert [entry.case.alias for entry in shown.breaches] == [late.alias]
    by_alias = {e.case.alias: e for _, cases in shown.groups for e in cases}
    assert by_alias[calm.alias].clock is None and by_alias[nobody.alias].clock is None
    assert by_alias[nobody.alias].age == timedelta(hours=3)
    assert by_alias[late.alias].clock is not None and by_alias[late.alias].clock.late
    clock = by_alias[urgent.alias].clock
    assert clock is not None and clock.left == LIMIT - timedelta(hours=2)
    # an urgent case goes to a first wave at once: both offers of the wave are open
    assert by_alias[urgent.alias].case.open_offers == 1  # one VP speaks Arabic
    assert by_alias[calm.alias].case.vp_id is None and not shown.empty
    assert amina == 1


async def test_an_empty_board(database: Database) -> None:
    async with database.transaction() as uow:
        shown = await case_board.board(uow, SETTINGS, NOW)
    assert shown.empty and shown.breaches == []


async def a_case(db: Database, key: str, language: str, answers: dict[str, str]) -> Case:
    parent = await a_parent_with_key(db, key)
    async with db.transaction() as uow:
        case, _ = await DESK.open(uow, parent, language, answers, False, NOW)
    assert case is not None
    return case


async def test_the_routing_explanation_names_every_reason(database: Database) -> None:
    first = await register(database, 1, Profile("vp", "Amina E", ("ar",), "f", ("school",)))
    second = await register(database, 2, Profile("vp", "Fatima Z", ("ar", "nl"), "f"))
    man = await register(database, 3, Profile("vp", "Omar B", ("ar",), "m"))
    dutch = await register(database, 4, Profile("vp", "Pieter J", ("nl",), "m"))
    away = await register(database, 5, Profile("vp", "Sara K", ("ar",), "f"))
    gone = await register(database, 6, Profile("vp", "Lina M", ("ar",), "f"))
    full = await register(database, 7, Profile("vp", "Nora A", ("ar",), "f", capacity=1))
    blocker = await register(database, 8, Profile("vp", "Hiba R", ("ar",), "f"))
    busy = await a_case(database, "b" * 64, "nl", {})
    case = await a_case(database, "p" * 64, "ar", {"topic": "school", "gender": "f"})
    async with database.transaction() as uow:
        await uow.people.update(away, available=False)
        await uow.people.update(gone, active=False)
        await uow.cases.assign_by_hand(busy.id, full, NOW)
        await uow.cases.block(case.parent_id, blocker, NOW)
        [(offer, asked, _)] = await uow.cases.offers_of(case.id)
        assert asked == first
        vp = await uow.people.get(first)
        assert vp is not None
        await DESK.answer(uow, vp, offer, "no", NOW)  # declined: offered to Fatima next
        stored = await uow.cases.get(case.id)
        assert stored is not None
        explained = await case_board.explain(uow, stored, SETTINGS)
    fits = {f.vp.id: f for f in explained.fits}
    assert fits[first].code == "already_offered" and fits[first].offer == "declined"
    assert fits[first].topic_match and fits[first].gender_fits
    assert fits[second].code == "already_offered" and fits[second].offer == "open"
    assert fits[man].code == "gender" and fits[man].gender_fits is False and fits[man].speaks
    assert fits[dutch].code == "language" and not fits[dutch].speaks
    assert fits[away].code == "away" and fits[gone].code == "inactive"
    assert fits[full].code == "full" and fits[full].full and fits[full].open_cases == 1
    assert fits[blocker].code == BLOCKED and fits[blocker].offer is None
    assert all(f.rank is None for f in explained.fits)  # nobody left who fits
    assert history.skipped(NL, fits[dutch].reason.detail()) == NL.gettext(
        "does not speak {language}"
    ).format(language=words.language(NL, "ar"))
    # who may be given it: the active ones, Arabic speakers first, the least loaded first
    assignable = [f.vp.id for f in explained.assignable]
    assert gone not in assignable and blocker not in assignable and assignable[-1] == dutch
    assert assignable[:2] == [first, second]  # no open cases, by number
    assert {p.id for p in explained.speakers(besides=second)} == {first, man, away, full}


async def test_the_explanation_ranks_who_fits(database: Database) -> None:
    topic = await register(database, 1, Profile("vp", "Amina E", ("ar",), "f", ("school",)))
    other = await register(database, 2, Profile("vp", "Fatima Z", ("ar",), "f"))
    case = await a_case(database, "p" * 64, "nl", {"topic": "school"})  # nobody speaks Dutch
    async with database.transaction() as uow:
        await uow.cases.set_language(case.id, "ar", NOW)  # as if the parent chose Arabic
        stored = await uow.cases.get(case.id)
        assert stored is not None
        explained = await case_board.explain(uow, stored, SETTINGS)
    assert [(f.vp.id, f.rank, f.code) for f in explained.fits] == [
        (topic, 1, "fits"),
        (other, 2, "fits"),
    ]
    assert explained.fits[0].gender_fits is None  # the parent was not asked


async def test_the_timeline_is_the_history_in_words(database: Database) -> None:
    amina = await register(database, 1, Profile("vp", "Amina E", ("ar",), "f"))
    case = await a_case(database, "p" * 64, "ar", {})
    async with database.transaction() as uow:
        moments = await case_board.timeline(uow, case, NL)
    assert [m.at for m in moments] == [NOW, NOW]
    assert moments[0].text == NL.gettext("Opened: {language}, {urgency}.").format(
        language=words.language(NL, "ar"), urgency=words.urgency(NL, False)
    )
    assert f"VP {amina} (Amina)" in moments[1].text


async def outbox_texts(db: Database, recipient: str) -> list[str]:
    t = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            select(t.sealed_payload).where(t.recipient == recipient).order_by(t.id)
        )
        return [json.loads(VAULT.open(p)).get("text", "") for (p,) in rows.all() if p]


async def test_a_coordinator_closes_a_case_as_its_vp_would(database: Database) -> None:
    amina = await register(database, 1, Profile("vp", "Amina E", ("ar",), "f"))
    sanne = await register(database, 2, Profile("coordinator", "Sanne de Vries"))
    case = await a_case(database, "p" * 64, "ar", {})
    async with database.transaction() as uow:
        [(offer, _, _)] = await uow.cases.offers_of(case.id)
        vp, coordinator = await uow.people.get(amina), await uow.people.get(sanne)
        assert vp is not None and coordinator is not None
        await DESK.answer(uow, vp, offer, "yes", NOW)
        current = await uow.cases.get(case.id)
        assert current is not None
        closed = await DESK.close_by_coordinator(uow, coordinator, current, "helped", NOW)
        again = await DESK.close_by_coordinator(uow, coordinator, current, "helped", NOW)
        stored = await uow.cases.get(case.id)
        moments = await case_board.timeline(uow, current, NL)
        accesses = await uow.cases.access_log(case.id)
    assert closed and not again
    assert stored is not None and stored.status == "closed" and stored.outcome == "helped"
    assert moments[-1].text == NL.gettext("{vp} closed it: {outcome}.").format(
        vp=words.staff_member(NL, coordinator, sanne), outcome=words.outcome(NL, "helped")
    )
    assert (sanne, "closed") in accesses
    vp_texts = await outbox_texts(database, vp.subject_hash)
    assert vp_texts[-1] == NL.gettext("{alias} has been closed by {name}.").format(
        alias=case.alias, name="Sanne de Vries"
    )
    to_parent = await outbox_texts(database, "p" * 64)
    assert "Amina" in to_parent[-1]  # the parent hears it from their VP, as ever


async def test_a_case_without_a_vp_closes_and_its_offers_are_withdrawn(
    database: Database,
) -> None:
    amina = await register(database, 1, Profile("vp", "Amina E", ("ar",), "f"))
    sanne = await register(database, 2, Profile("coordinator", "Sanne de Vries"))
    case = await a_case(database, "p" * 64, "ar", {})
    async with database.transaction() as uow:
        coordinator = await uow.people.get(sanne)
        assert coordinator is not None
        closed = await DESK.close_by_coordinator(uow, coordinator, case, "withdrawn", NOW)
        stored = await uow.cases.get(case.id)
        offers = await uow.cases.offers_of(case.id)
        kinds = [kind for kind, _ in await uow.cases.history(case.id)]
    assert closed and stored is not None
    assert (stored.status, stored.outcome) == ("withdrawn", "withdrawn")
    assert [(person, status) for _, person, status in offers] == [(amina, "withdrawn")]
    assert kinds[-1] == "withdrawn"
    assert await outbox_texts(database, "p" * 64) == []  # they withdrew it: nothing to tell
    other = await a_case(database, "q" * 64, "ar", {})
    async with database.transaction() as uow:
        coordinator = await uow.people.get(sanne)
        assert coordinator is not None
        assert await DESK.close_by_coordinator(uow, coordinator, other, "no_contact", NOW)
    ar = CATALOGS.translator("ar")
    [told] = await outbox_texts(database, "q" * 64)
    assert told == ar.gettext(
        "Your question has been closed. Whenever you want to talk again, write here or send /start."
    )


async def test_an_urgent_case_before_contact_is_given_back(database: Database) -> None:
    amina = await register(database, 1, Profile("vp", "Amina E", ("ar",), "f"))
    fatima = await register(database, 2, Profile("vp", "Fatima Z", ("ar",), "f"))
    sanne = await register(database, 3, Profile("coordinator", "Sanne de Vries"))
    parent = await a_parent_with_key(database, "p" * 64)
    async with database.transaction() as uow:
        case, _ = await DESK.open(uow, parent, "ar", {}, True, NOW)
        assert case is not None
        offers = await uow.cases.offers_of(case.id)
        [(offer, _, _)] = [o for o in offers if o[1] == amina]
        vp, coordinator = await uow.people.get(amina), await uow.people.get(sanne)
        assert vp is not None and coordinator is not None
        await DESK.answer(uow, vp, offer, "yes", NOW)
        current = await uow.cases.get(case.id)
        assert current is not None
        closed = await DESK.close_by_coordinator(uow, coordinator, current, "helped", NOW)
        stored = await uow.cases.get(case.id)
    assert not closed and stored is not None
    assert stored.status in ("waiting", "offered") and stored.vp_id is None
    assert stored.closed_at is None and fatima
