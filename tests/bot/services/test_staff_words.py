"""Offers and hand assignments say the case in words: language, topic, urgency and the
time left until the 48-hour deadline, in the VP's own language."""

from __future__ import annotations

from datetime import timedelta

from bot.services import staff_words as words
from storage import Database
from storage.people import Profile
from tests.bot.services.test_cases import CATALOGS, DESK, NOW, a_parent, opened, register
from tests.bot.services.test_urgent import payloads_to

LATER = NOW + timedelta(hours=1)


async def test_an_urgent_offer_and_a_hand_assignment_say_it_in_words(database: Database) -> None:
    hatice = await register(database, 1, Profile("vp", "Hatice Y", ("tr",), "f"))
    omar = await register(database, 2, Profile("vp", "Omar B", ("tr", "nl"), "m"))
    sanne = await register(database, 3, Profile("coordinator", "Sanne de Vries"))
    parent = await a_parent(database)
    async with database.transaction() as uow:
        await uow.people.update(hatice, language="tr")
        await uow.people.update(omar, language="pl")
        case, _ = await opened(uow, parent, "tr", {"topic": "safety"}, True, NOW)
    [offer, *_] = await payloads_to(database, hatice)
    async with database.transaction() as uow:
        coordinator, vp = await uow.people.get(sanne), await uow.people.get(omar)
        assert coordinator is not None and vp is not None
        await DESK.assign_by_hand(uow, coordinator, case, vp, LATER)
    tr, pl = CATALOGS.translator("tr"), CATALOGS.translator("pl")
    given = pl.gettext("A coordinator gave you {alias}.").format(alias=case.alias)
    [intro] = [p for p in await payloads_to(database, omar) if given in p["text"]]
    within_48 = tr.gettext("urgent, within {duration}").format(
        duration=words.duration(tr, timedelta(hours=48))
    )
    assert words.duration(tr, timedelta(hours=48)) == "2 gün"  # Babel's words, not "48h"
    for line in (
        tr.gettext("Language: {language}").format(language="Türkçe"),
        tr.gettext("Topic: {topic}").format(topic="Evde huzur ve güvenlik"),
        tr.gettext("Urgency: {urgency}").format(urgency=within_48),
    ):
        assert line in offer["text"]
    within_47 = pl.gettext("urgent, within {duration}").format(duration="47 godzin")
    for line in (
        pl.gettext("A coordinator gave you {alias}.").format(alias=case.alias),
        pl.gettext("Language: {language}").format(language="turecki"),
        pl.gettext("Topic: {topic}").format(topic="Spokój i bezpieczny dom"),
        pl.gettext("Urgency: {urgency}").format(urgency=within_47),
    ):
        assert line in intro["text"]
    assert "safety" not in offer["text"] + intro["text"]


def test_a_case_given_back_before_contact_reads_as_words() -> None:
    """The history of an urgent case a VP gave back: no code such as blocked_before_contact."""
    from bot.services import case_history

    for code in ("nl", "tr", "ar"):
        t = CATALOGS.translator(code)
        line = case_history.sentence(
            t, "released", {"vp": 3, "reason": "blocked_before_contact"}, lambda _: "VP 3"
        )
        assert "_" not in line and "VP 3" in line
        assert words.outcome(t, "blocked") in line
