"""Matching that never guesses: the topic's preferred gender ranks, the parent's own answer
overrides it, and no automatic offer reaches a VP who does not speak the case's language."""

from __future__ import annotations

from typing import Any

from bot.services.cases import CaseDesk
from bot.services.coordinator_settings import Matching
from bot.services.routing import NO_PREFERENCE
from bot.services.urgent import UrgentLadder
from storage import Database
from storage.people import Profile
from tests.bot.services.test_case_access import a_parent_with_key
from tests.bot.services.test_cases import CATALOGS, NOW, SETTINGS, VAULT, register

# Coordinators of this organisation ask a man first for questions about safety at home.
PREFER_A_MAN = SETTINGS.model_copy(update={"matching": Matching(preferred_gender={"safety": "m"})})
DESK = CaseDesk(VAULT, CATALOGS, lambda: PREFER_A_MAN)
LADDER = UrgentLadder(CATALOGS, DESK, lambda: PREFER_A_MAN)


async def first_offer(db: Database, key: str, answers: dict[str, Any]) -> tuple[set[int], str]:
    """Who the case of a new parent is offered to, and the gender preference stored with it."""
    parent = await a_parent_with_key(db, key * 64)
    async with db.transaction() as uow:
        case, _ = await DESK.open(uow, parent, "ar", answers, False, NOW)
        assert case is not None
        return await uow.cases.offered_to(case.id), case.gender_pref


async def test_the_topics_preferred_gender_counts_only_when_the_parent_did_not_say(
    database: Database,
) -> None:
    amina = await register(database, 1, Profile("vp", "Amina", ("ar",), "f", capacity=9))
    omar = await register(database, 2, Profile("vp", "Omar", ("ar",), "m", capacity=9))
    # a parent who asked for a man: Omar has more open questions than Amina from now on
    assert await first_offer(database, "a", {"topic": "school", "gender": "m"}) == ({omar}, "m")
    # never asked (the danger flow) or skipped: the topic's preference, a man, before load
    assert await first_offer(database, "b", {"topic": "safety"}) == ({omar}, "")
    # the parent's own answer overrides the topic's preference, "no preference" too: by load
    said_any = await first_offer(database, "c", {"topic": "safety", "gender": "any"})
    assert said_any == ({amina}, NO_PREFERENCE)
    assert await first_offer(database, "d", {"topic": "safety", "gender": "f"}) == ({amina}, "f")


async def test_no_automatic_offer_goes_to_a_vp_who_does_not_speak_the_language(
    database: Database,
) -> None:
    others = [
        await register(database, n, Profile("vp", f"V{n}", ("nl", "ar", "tr"), "m", ("safety",)))
        for n in (1, 2, 3, 4)
    ]
    olena = await register(database, 5, Profile("vp", "Olena", ("uk", "nl"), "f"))
    parent = await a_parent_with_key(database, "u" * 64)
    async with database.transaction() as uow:
        case, _ = await DESK.open(uow, parent, "uk", {"topic": "safety"}, True, NOW)
        assert case is not None
        first_wave = await uow.cases.offered_to(case.id)
    # A second Ukrainian speaker joins; the ladder's next step offers to every matching VP.
    ivan = await register(database, 6, Profile("vp", "Ivan", ("uk",), "m", ("safety",)))
    async with database.transaction() as uow:
        await LADDER.everyone(uow, case.id, NOW)
        everyone = await uow.cases.offered_to(case.id)
        # a waiting case offered anew (a VP came back) keeps to its language as well
        await DESK.offer_waiting(uow, NOW)
        after = await uow.cases.offered_to(case.id)
    assert first_wave == {olena}  # the first wave is 3, yet only she speaks Ukrainian
    assert everyone == after == {olena, ivan}
    assert not after & set(others)
