"""Opening a case: a short alias, an offer to the best matching VP, the reasons in its history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Catalogs
from bot.services.case_card import CaseCard
from bot.services.cases import CaseDesk
from bot.services.continuity import Continuity
from bot.services.coordinator_settings import SettingsFile
from bot.services.languages import LANGUAGES
from bot.services.leaving import Leaving
from bot.services.privacy import IdentityVault
from bot.services.professionals import Professionals
from bot.services.referrals import Referrals
from bot.services.staff import Staff
from bot.services.urgent import UrgentLadder
from flows.outputs import Reply
from storage import Database, UnitOfWork
from storage.cases import ALIAS_ALPHABET
from storage.people import Profile
from storage.records import Case
from tests.conftest import TEST_SECRET_KEY
from tests.live import ROOT

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
VAULT = IdentityVault(TEST_SECRET_KEY)
CATALOGS = Catalogs(list(LANGUAGES))
SETTINGS = SettingsFile(ROOT / "flows" / "defaults").current
DESK = CaseDesk(VAULT, CATALOGS, lambda: SETTINGS)
LEAVING = Leaving(DESK)
LADDER = UrgentLadder(CATALOGS, DESK, lambda: SETTINGS)
REFERRALS = Referrals(VAULT, CATALOGS, DESK, lambda: SETTINGS, ZoneInfo("Europe/Amsterdam"))
PROFESSIONALS = Professionals(VAULT, CATALOGS, DESK, lambda: SETTINGS, ZoneInfo("Europe/Amsterdam"))
CONTINUITY = Continuity(VAULT, CATALOGS, DESK, lambda: SETTINGS, ZoneInfo("Europe/Amsterdam"))
CARD = CaseCard(VAULT, CATALOGS, DESK, REFERRALS, lambda: SETTINGS, ZoneInfo("Europe/Amsterdam"))


async def opened(uow: UnitOfWork, *args: Any) -> tuple[Case, list[Reply]]:
    """DESK.open, for a parent who may open one (more)."""
    case, told = await DESK.open(uow, *args)
    assert case is not None
    return case, told


async def register(db: Database, telegram_id: int, profile: Profile) -> int:
    staff = Staff(VAULT)
    async with db.transaction() as uow:
        code, _ = await staff.invite(uow, profile, NOW, timedelta(days=1))
        person = await staff.register(uow, code, "telegram", telegram_id, NOW)
    assert person is not None
    return person.id


async def a_parent(db: Database) -> int:
    async with db.transaction() as uow:
        parent = await uow.parents.get_or_create("telegram", "p" * 64, None, NOW)
    return parent.id


async def test_a_case_is_offered_to_the_best_vp(database: Database) -> None:
    await register(database, 1, Profile("vp", "Hatice Y", ("tr", "nl"), "f", ("school",)))
    amina = await register(database, 2, Profile("vp", "Amina E", ("ar", "nl"), "f", ("school",)))
    await register(database, 3, Profile("vp", "Omar B", ("ar",), "m", ("money",)))
    parent = await a_parent(database)
    async with database.transaction() as uow:
        case, _ = await opened(
            uow, parent, "ar", {"topic": "school", "gender": "f", "question": "…"}, False, NOW
        )
        offered = await uow.cases.offered_to(case.id)
        history = await uow.cases.history(case.id)
        [stored] = await uow.cases.of_parent(parent)
    assert len(case.alias) == 4 and set(case.alias) <= set(ALIAS_ALPHABET)
    assert offered == {amina} and stored.status == "offered" and stored.gender_pref == "f"
    assert history[0] == ("opened", {"language": "ar", "urgent": False})
    assert history[1][0] == "offered"
    assert history[1][1] == {
        "vp": amina,
        "why": "fits",
        "language": "ar",
        "topic_match": True,
        "open": 0,
        "capacity": 3,
        "last_offer": None,
    }
    assert "…" not in str(history) and "Amina" not in str(history)  # no words, no names


async def test_nobody_matches_and_the_case_waits(database: Database) -> None:
    await register(database, 1, Profile("vp", "Hatice Y", ("tr", "nl"), "f"))
    parent = await a_parent(database)
    async with database.transaction() as uow:
        case, _ = await opened(uow, parent, "ti", {"topic": "health"}, True, NOW)
        [stored] = await uow.cases.of_parent(parent)
        history = await uow.cases.history(case.id)
    assert stored.status == "waiting" and stored.urgent
    assert history[-2:] == [
        ("skipped", {"vp": 1, "why": "language", "language": "ti"}),
        ("nobody", {}),
    ]


async def test_the_next_offer_skips_who_was_asked(database: Database) -> None:
    first = await register(database, 1, Profile("vp", "A", ("ar",), "f"))
    second = await register(database, 2, Profile("vp", "B", ("ar",), "m"))
    parent = await a_parent(database)
    desk = DESK
    async with database.transaction() as uow:
        case, _ = await opened(uow, parent, "ar", {}, False, NOW)
        asked = await uow.cases.offered_to(case.id)
        await desk.offer_next(uow, case, NOW + timedelta(hours=1))
        both = await uow.cases.offered_to(case.id)
        routing = await desk.offer_next(uow, case, NOW + timedelta(hours=2))
    assert len(asked) == 1 and both == {first, second} and routing.nobody


async def test_an_unanswered_offer_moves_on(database: Database) -> None:
    from bot.services.cases import register_case_tasks
    from bot.services.clock import ManualClock
    from bot.services.outbox import Outbox
    from bot.services.scheduling import TaskRegistry, TaskRunner
    from bot.services.task_kinds import OFFER_TIMEOUT

    clock = ManualClock(NOW)
    slow = await register(database, 1, Profile("vp", "A", ("ar",), "f"))
    other = await register(database, 2, Profile("vp", "B", ("ar",), "f"))
    parent = await a_parent(database)
    async with database.transaction() as uow:
        case, _ = await opened(uow, parent, "ar", {}, False, clock.now())
        [first] = await uow.cases.offered_to(case.id)
    registry = TaskRegistry()
    register_case_tasks(registry, DESK)
    runner = TaskRunner(database, registry, Outbox(VAULT, "telegram"), owner="t")
    clock.advance(timedelta(hours=11))
    assert await runner.tick(clock.now()) == 0
    clock.advance(timedelta(hours=1))
    assert await runner.tick(clock.now()) == 1
    async with database.transaction() as uow:
        asked = await uow.cases.offered_to(case.id)
        history = [kind for kind, _ in await uow.cases.history(case.id)]
        counts = await uow.tasks.counts()
    assert asked == {slow, other} and first in asked
    assert history == ["opened", "offered", "expired", "offered"]
    assert counts.get("done") == 1 and counts.get("pending") == 1  # the second offer's clock
    assert OFFER_TIMEOUT == "case.offer_timeout"


async def test_only_one_accept_wins_on_postgres(postgres_url: str) -> None:
    """Two VPs holding offers for one case press Accept at the same moment."""
    import asyncio

    db = Database(postgres_url)
    await db.upgrade()
    try:
        vps = [await register(db, n, Profile("vp", f"V{n}", ("ar",), "f")) for n in (1, 2)]
        parent = await a_parent(db)
        async with db.transaction() as uow:
            case, _ = await opened(uow, parent, "ar", {}, True, NOW)  # urgent: both at once
            offers = {person: offer for offer, person, _ in await uow.cases.offers_of(case.id)}
        assert sorted(offers) == sorted(vps)

        async def accept(person_id: int) -> list[str]:
            """What the VP is answered in their chat; the winner's case arrives by mail."""
            async with db.transaction() as uow:
                person = await uow.people.get(person_id)
                assert person is not None
                replies = await DESK.answer(uow, person, offers[person_id], "yes", NOW)
                return [reply.text for reply in replies]

        results = await asyncio.gather(*(accept(v) for v in vps))
        async with db.transaction() as uow:
            [stored] = await uow.cases.of_parent(parent)
    finally:
        await db.dispose()
    taken = CATALOGS.translator("nl").gettext("This question has already been taken or withdrawn.")
    losers = [texts for texts in results if texts == [taken]]
    assert len(losers) == 1 and results.count([]) == 1, results
    assert stored.status == "accepted" and stored.vp_id in vps
