"""A VP's own commands: the name parents see, away and available, capacity, open cases —
and routing follows them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.services import staff_words as words
from bot.services.console_access import ConsoleAccess
from bot.services.coordinator_settings import Console
from bot.services.sharing import Sharing
from bot.services.staff import StaffLanguages
from bot.services.vp_desk import VpDesk
from flows.inputs import Command, Text
from storage import Database
from storage.people import Profile
from tests.bot.services.test_cases import (
    CARD,
    CATALOGS,
    CONTINUITY,
    DESK,
    PROFESSIONALS,
    REFERRALS,
    VAULT,
    a_parent,
    opened,
    register,
)

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
STAFF_LANGUAGES = StaffLanguages(VAULT, CATALOGS, lambda: CATALOGS.languages)
CONSOLE = ConsoleAccess(VAULT, Console, "https://bot.example.org")
VP_DESK = VpDesk(
    CATALOGS,
    DESK,
    Sharing(VAULT, CATALOGS, DESK),
    STAFF_LANGUAGES,
    CONSOLE,
    CARD,
    REFERRALS,
    PROFESSIONALS,
    CONTINUITY,
)


async def command(db: Database, person_id: int, name: str, argument: str | None = None) -> str:
    async with db.transaction() as uow:
        person = await uow.people.get(person_id)
        assert person is not None
        [reply] = await VP_DESK.handle(uow, person, Command(name, argument), NOW)
    return reply.text


async def test_display_name_capacity_and_help(database: Database) -> None:
    vp = await register(database, 1, Profile("vp", "Amina El Idrissi", ("ar",), "f"))
    assert "Noor" in await command(database, vp, "name", "Noor")
    assert "5" in await command(database, vp, "capacity", "5")
    refused = await command(database, vp, "capacity", "500")
    assert "/capacity 3" in refused
    async with database.transaction() as uow:
        person = await uow.people.get(vp)
        assert person is not None and person.display_name == "Noor" and person.capacity == 5
        [help_] = await VP_DESK.handle(uow, person, Text("hallo"), NOW)
    assert "/cases" in help_.text and "/away" in help_.text


async def test_away_takes_a_vp_out_of_routing(database: Database) -> None:
    vp = await register(database, 1, Profile("vp", "Amina", ("ar",), "f"))
    await command(database, vp, "away")
    parent = await a_parent(database)
    async with database.transaction() as uow:
        case, _ = await opened(uow, parent, "ar", {}, False, NOW)
        assert await uow.cases.offered_to(case.id) == set()
    await command(database, vp, "available")
    async with database.transaction() as uow:
        await DESK.offer_next(uow, case, NOW)
        assert await uow.cases.offered_to(case.id) == {vp}


async def test_open_cases_are_listed_by_alias_only(database: Database) -> None:
    vp = await register(database, 1, Profile("vp", "Amina", ("ar",), "f"))
    assert await command(database, vp, "cases") != ""
    parent = await a_parent(database)
    async with database.transaction() as uow:
        case, _ = await opened(
            uow, parent, "ar", {"topic": "school", "question": "geheim"}, False, NOW
        )
        [(offer, _, _)] = await uow.cases.offers_of(case.id)
        person = await uow.people.get(vp)
        assert person is not None
        await DESK.answer(uow, person, offer, "yes", NOW)
    listed = await command(database, vp, "cases")
    t = CATALOGS.translator("nl")
    assert case.alias in listed and "geheim" not in listed
    assert f"{words.topic(t, 'school')}, {words.state(t, 'accepted')}" in listed


async def test_a_vp_chooses_their_own_language_for_everything_after(database: Database) -> None:
    """/language lists every enabled language; after choosing Turkish the help, the menu
    and an offer come in Turkish; Dutch stays the default for everyone else."""
    from flows.inputs import Pick

    tr, nl = CATALOGS.translator("tr"), CATALOGS.translator("nl")
    vp = await register(database, 1, Profile("vp", "Ayşe", ("tr",), "f"))
    await register(database, 2, Profile("vp", "Noor", ("ar",), "f"))  # stays Dutch
    picker_text = nl.gettext("Which language do you want to work in here?")
    async with database.transaction() as uow:
        person = await uow.people.get(vp)
        assert person is not None
        [picker] = await VP_DESK.handle(uow, person, Command("language", None), NOW)
        assert picker.text == picker_text
        actions = [choice.action for row in picker.choices for choice in row]
        assert actions == [f"staff-lang:{code}" for code in CATALOGS.languages]
        [done] = await VP_DESK.handle(uow, person, Pick("staff-lang:tr"), NOW)
        chosen = await uow.people.get(vp)
        assert chosen is not None and chosen.language == "tr"
        assert done.text == tr.gettext(
            "From now on you get your messages here in {language}."
        ).format(language="Türkçe")
        [help_] = await VP_DESK.handle(uow, chosen, Text("merhaba"), NOW)
        assert help_.text.startswith(
            tr.gettext(
                "You are registered with Tussen In. New questions arrive here; "
                "you choose Accept or Decline."
            )
        )
        [refused] = await VP_DESK.handle(uow, chosen, Pick("staff-lang:xx"), NOW)
        assert refused.text == tr.gettext("That choice is no longer available.")
    parent = await a_parent(database)
    async with database.transaction() as uow:
        case, _ = await opened(uow, parent, "tr", {}, False, NOW)
        [offered] = await uow.cases.offered_to(case.id)
        people = {p.subject_hash: p for p in await uow.people.vps()}
        pending = await uow.outbox.claim(NOW, "test", timedelta(seconds=30), 50, per_chat=10)
    words = {"tr": tr.gettext("Accept"), "": nl.gettext("Accept")}
    assert words["tr"] != words[""]  # the catalogs differ: the check can fail
    offers = [
        m for m in pending if m.kind == "reply" and "offer:" in VAULT.open(m.sealed_payload or "")
    ]
    [offer] = offers
    assert people[offer.recipient].id == offered
    assert words[people[offer.recipient].language] in VAULT.open(offer.sealed_payload or "")
    menus = [m for m in pending if m.kind == "menu" and people[m.recipient].id == vp]
    commands = dict(json.loads(VAULT.open(menus[-1].sealed_payload or ""))["commands"])
    assert commands["language"] == tr.gettext("The language you work in here")
    assert commands["language"] != nl.gettext("The language you work in here")


async def test_console_gives_a_link_to_a_reviewer_only(database: Database) -> None:
    vp = await register(database, 1, Profile("vp", "Amina El Idrissi", ("ar",), "f"))
    said = await command(database, vp, "console")
    assert "code=" not in said and "/console" not in said  # today's help
    async with database.transaction() as uow:
        await uow.people.update(vp, reviewer=True)
    said = await command(database, vp, "console")
    link = said.split("\n")[-1]
    assert link.startswith("https://bot.example.org/console/login?code=")
    async with database.transaction() as uow:
        opened = await CONSOLE.log_in(uow, link.split("code=")[1], "test", NOW)
    assert opened is not None and opened[1].id == vp and opened[1].reviewer
    assert "/console" in await command(database, vp, "help")
