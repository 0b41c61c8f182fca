"""A coordinator's commands: list the VPs, deactivate one (their cases are offered again),
give a case by hand (past capacity), read a case's history (audited); a VP's block; the
limit of open cases per parent."""

from __future__ import annotations

from sqlalchemy import text

from bot.services import staff_words as words
from bot.services.console_access import ConsoleAccess
from bot.services.coordinator_desk import CoordinatorDesk
from bot.services.coordinator_settings import Console
from bot.services.flow_library import FlowLibrary
from bot.services.prompt_recording import PromptRecording
from bot.services.staff import StaffLanguages
from flows.inputs import Command, Pick
from flows.outputs import Reply
from storage import Database
from storage.people import Profile
from tests.bot.services.test_case_access import a_parent_with_key, accepted_case, as_vp
from tests.bot.services.test_cases import CATALOGS, DESK, LADDER, NOW, ROOT, VAULT, register

STAFF_LANGUAGES = StaffLanguages(VAULT, CATALOGS, lambda: CATALOGS.languages)
LIBRARY = FlowLibrary(ROOT / "flows" / "defaults", lambda: CATALOGS.languages, frozenset({"ar"}))
RECORDING = PromptRecording(CATALOGS, LIBRARY, lambda: CATALOGS.languages)
CONSOLE = ConsoleAccess(VAULT, Console, "https://bot.example.org")
COORDINATOR_DESK = CoordinatorDesk(CATALOGS, DESK, LADDER, STAFF_LANGUAGES, RECORDING, CONSOLE)


async def as_coordinator(db: Database, person: int, name: str, argument: str = "") -> str:
    async with db.transaction() as uow:
        coordinator = await uow.people.get(person)
        assert coordinator is not None
        replies = await COORDINATOR_DESK.handle(uow, coordinator, Command(name, argument), NOW)
    return "\n".join(reply.text for reply in replies)


async def test_list_deactivate_reassign_and_read_a_case(database: Database) -> None:
    amina = await register(database, 1, Profile("vp", "Amina E", ("nl",), "f", ("school",)))
    omar = await register(database, 2, Profile("vp", "Omar B", ("nl",), "m", capacity=1))
    sanne = await register(database, 3, Profile("coordinator", "Sanne de Vries"))
    case = await accepted_case(database, await a_parent_with_key(database, "a" * 64), amina)
    listed = await as_coordinator(database, sanne, "vps")
    deactivated = await as_coordinator(database, sanne, "deactivate", str(amina))
    async with database.transaction() as uow:
        rerouted = await uow.cases.get(case.id)
        offers = await uow.cases.offers_of(case.id)
    # Omar is full after taking it by hand; a second case is still given to him
    other = await a_parent_with_key(database, "b" * 64)
    async with database.transaction() as uow:
        second, _ = await DESK.open(uow, other, "nl", {"question": "…"}, False, NOW)
        assert second is not None
    given = await as_coordinator(database, sanne, "reassign", f"{case.alias} {omar}")
    past_capacity = await as_coordinator(database, sanne, "reassign", f"{second.alias} {omar}")
    history = await as_coordinator(database, sanne, "case", case.alias)
    async with database.transaction() as uow:
        after = await uow.cases.get(case.id)
        load = await uow.cases.load_per_vp()
        log = await uow.cases.access_log(case.id)
    t = CATALOGS.translator("nl")
    load_of_omar = t.ngettext(
        "{open} of {capacity} question", "{open} of {capacity} questions", 1
    ).format(open=0, capacity=1)
    assert "Amina E" in listed and "Omar B" in listed and load_of_omar in listed
    assert f"{words.language(t, 'nl')}, {words.gender(t, 'm')}" in listed
    assert "Amina E" in deactivated
    assert rerouted is not None and rerouted.status == "offered" and rerouted.vp_id is None
    assert [person for _, person, _ in offers] == [amina, omar]  # offered to Omar now
    assert case.alias in given and second.alias in past_capacity
    assert after is not None and after.vp_id == omar and after.status == "accepted"
    assert load == {omar: 2}  # past his capacity of 1: only by hand
    # in words, VPs by number and display name, the coordinator by name
    released = t.gettext("{vp} can no longer continue: {reason}.").format(
        vp=f"VP {amina} (Amina)", reason=t.gettext("deactivated by a coordinator")
    )
    assigned = t.gettext("{coordinator} gave it to {vp} by hand.").format(
        coordinator=t.gettext("coordinator {name}").format(name="Sanne de Vries"),
        vp=f"VP {omar} (Omar)",
    )
    assert released in history and assigned in history
    assert "released" not in history and "assigned" not in history
    assert (sanne, "history") in log and (omar, "read") in log and (sanne, "assigned") in log


async def test_a_vp_blocks_a_parent(database: Database) -> None:
    amina = await register(database, 1, Profile("vp", "Amina E", ("nl",), "f"))
    sanne = await register(database, 2, Profile("coordinator", "Sanne de Vries"))
    parent = await a_parent_with_key(database, VAULT.subject_hash("telegram", 5))
    case = await accepted_case(database, parent, amina)
    [confirm] = await as_vp(database, amina, Command("block"))
    [done] = await as_vp(database, amina, Pick(confirm.choices[0][0].action))
    async with database.transaction() as uow:
        closed = await uow.cases.get(case.id)
        again, _ = await DESK.open(uow, parent, "nl", {}, False, NOW)
        assert again is not None
        offered = await uow.cases.offers_of(again.id)
        told = await uow.outbox.pending_count()
    assert closed is not None and (closed.status, closed.outcome) == ("closed", "blocked")
    assert case.alias in done.text and offered == []  # never offered to Amina again
    assert told >= 3 and sanne  # the parent, and the coordinator twice (block, nobody)


async def test_at_most_a_few_open_cases_per_parent(database: Database) -> None:
    await register(database, 1, Profile("vp", "Amina E", ("nl",), "f", capacity=9))
    parent = await a_parent_with_key(database, "c" * 64)
    told: list[list[Reply]] = []
    async with database.transaction() as uow:
        for _ in range(3):
            case, replies = await DESK.open(uow, parent, "nl", {}, False, NOW)
            told.append(replies if case is None else [])
        count = await uow.cases.open_count(parent)
    assert count == 2  # the setting's default
    assert told[:2] == [[], []] and len(told[2]) == 1


async def test_console_gives_a_one_time_link_whose_code_is_not_stored(database: Database) -> None:
    sanne = await register(database, 3, Profile("coordinator", "Sanne de Vries"))
    said = await as_coordinator(database, sanne, "console")
    link = said.split("\n")[-1]
    assert link.startswith("https://bot.example.org/console/login?code=")
    code = link.split("code=")[1]
    t = CATALOGS.translator("nl")
    assert said.startswith(
        t.ngettext(
            "Your link to the console. It is for you only and works once, within {minutes} minute:",
            "Your link to the console. It is for you only and works once, within {minutes} "
            "minutes:",
            10,
        ).format(minutes=10)
    )
    async with database.transaction() as uow:
        opened = await CONSOLE.log_in(uow, code, "test", NOW)
        again = await CONSOLE.log_in(uow, code, "test", NOW)
        links = await uow._session.execute(text("select * from console_link"))
        sessions = await uow._session.execute(text("select * from console_session"))
        dump = repr(links.all()) + repr(sessions.all())
    assert opened is not None and opened[1].id == sanne and again is None
    session_id, _ = opened
    assert code not in dump and session_id not in dump
