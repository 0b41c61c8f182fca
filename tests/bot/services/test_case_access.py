"""Nobody reaches a case that is not theirs: a VP cannot read, write, close, block or add to
another VP's case, not even with buttons they made up; a parent reaches only their own.
Every look at a case by staff is in the audit log."""

from __future__ import annotations

from datetime import timedelta

from bot.services.buttons import ButtonTokens
from bot.services.console_access import ConsoleAccess
from bot.services.conversations import Conversations
from bot.services.coordinator_settings import Console
from bot.services.flow_library import FlowLibrary
from bot.services.reception import Reception, Subject
from bot.services.relay import Said
from bot.services.staff import Staff
from flows.inputs import Command, Input, Pick, Text
from flows.outputs import Reply
from storage import Database
from storage.people import Profile
from storage.records import Case
from tests.bot.services.test_cases import (
    CARD,
    CATALOGS,
    CONTINUITY,
    DESK,
    LADDER,
    LEAVING,
    NOW,
    PROFESSIONALS,
    REFERRALS,
    VAULT,
    opened,
    register,
)
from tests.bot.services.test_vp_desk import VP_DESK
from tests.live import ROOT


async def a_parent_with_key(db: Database, key: str) -> int:
    async with db.transaction() as uow:
        parent = await uow.parents.get_or_create("telegram", key, VAULT.seal(7), NOW)
        await uow.parents.set_language(parent.id, "nl", NOW)
    return parent.id


async def accepted_case(db: Database, parent: int, vp: int) -> Case:
    """A case of `parent` that `vp` accepted (they are the only one who speaks its language)."""
    async with db.transaction() as uow:
        case, _ = await opened(uow, parent, "nl", {"question": "…"}, False, NOW)
        [(offer, person, _)] = await uow.cases.offers_of(case.id)
        assert person == vp
        staff = await uow.people.get(vp)
        assert staff is not None
        await DESK.answer(uow, staff, offer, "yes", NOW)
        stored = await uow.cases.get(case.id)
    assert stored is not None and stored.vp_id == vp
    return stored


async def as_vp(db: Database, vp: int, incoming: Input, said: Said | None = None) -> list[Reply]:
    async with db.transaction() as uow:
        person = await uow.people.get(vp)
        assert person is not None
        return await VP_DESK.handle(uow, person, incoming, NOW + timedelta(minutes=5), said)


async def test_a_vp_cannot_reach_another_vps_case(database: Database) -> None:
    amina = await register(database, 1, Profile("vp", "Amina E", ("nl",), "f"))
    theirs = await accepted_case(database, await a_parent_with_key(database, "a" * 64), amina)
    omar = await register(database, 2, Profile("vp", "Omar B", ("nl",), "m"))
    async with database.transaction() as uow:
        await uow.people.update(amina, capacity=1)  # full: the next case goes to Omar
    mine = await accepted_case(database, await a_parent_with_key(database, "b" * 64), omar)
    async with database.transaction() as uow:
        amina_hash = (await uow.people.get(amina)).subject_hash  # type: ignore[union-attr]
        held = await uow.relays.hold(
            amina_hash, None, VAULT.seal(Said("text", 1, 5, "hi").to_json()), NOW
        )
        outbox_before = await uow.outbox.pending_count()
    tries: list[Input] = [
        Pick(f"relay:{held}:{theirs.id}"),  # Amina's held message, into her case
        Pick(f"outcome:{theirs.id}:helped"),
        Pick(f"block:{theirs.id}"),
        Pick(f"duo:{theirs.id}:{omar}"),
        Pick(f"close:close:{theirs.id}"),
        Command("close", theirs.alias),
        Command("block", theirs.alias),
        Command("duo", theirs.alias),
        Command("vps"),  # a coordinator's command
        Command("reassign", f"{theirs.alias} {omar}"),
    ]
    answers = [await as_vp(database, omar, incoming) for incoming in tries]
    [listed] = await as_vp(database, omar, Command("cases"))
    async with database.transaction() as uow:
        after = await uow.cases.get(theirs.id)
        assert after is not None
        log = await uow.cases.access_log(theirs.id)
        outbox_after = await uow.outbox.pending_count()
        still_held = await uow.relays.held(held)
    assert all(len(a) == 1 and not a[0].choices for a in answers), answers
    assert after.status == "accepted" and after.vp_id == amina and after.outcome is None
    assert [p for p, _ in log] == [amina]  # only her own read, when she accepted
    assert outbox_after == outbox_before and still_held is not None
    assert mine.alias in listed.text and theirs.alias not in listed.text


async def test_a_parent_reaches_only_their_own_case(database: Database) -> None:
    vp = await register(database, 1, Profile("vp", "Amina E", ("nl",), "f", capacity=5))
    first_key, second_key = VAULT.subject_hash("telegram", 111), VAULT.subject_hash("telegram", 222)
    first = await accepted_case(database, await a_parent_with_key(database, first_key), vp)
    own = await accepted_case(database, await a_parent_with_key(database, second_key), vp)
    async with database.transaction() as uow:
        said = VAULT.seal(Said("text", 111, 9, "x").to_json())
        held = await uow.relays.hold(first_key, None, said, NOW)
        outbox_before = await uow.outbox.pending_count()
    library = FlowLibrary(ROOT / "flows" / "defaults", lambda: ["nl"], frozenset())
    conversations = Conversations(
        VAULT, library, ButtonTokens(VAULT.key("buttons")), DESK, REFERRALS
    )
    reception = Reception(
        VAULT,
        CATALOGS,
        lambda: ["nl"],
        conversations,
        Staff(VAULT),
        DESK,
        LEAVING,
        LADDER,
        ConsoleAccess(VAULT, Console, None),
        CARD,
        REFERRALS,
        PROFESSIONALS,
        CONTINUITY,
    )
    tries: list[Input] = [
        Pick(f"relay:{held}:{first.id}"),  # the other parent's held message
        Pick(f"relay:{held}:{own.id}"),  # …into their own case: still not theirs
        Pick(f"consent:{first.id}:{vp}:yes"),
        Pick(f"share:{held}:{first.id}"),
        Pick(f"share:{held}:{own.id}"),
    ]
    answers = []
    for incoming in tries:
        async with database.transaction() as uow:
            answers.append(await reception.handle(uow, Subject("telegram", 222), incoming, NOW))
    async with database.transaction() as uow:
        outbox_after = await uow.outbox.pending_count()
        members = await uow.cases.members(first.id)
        still_held = await uow.relays.held(held)
        reveal = (await uow.cases.get(own.id)).sealed_reveal  # type: ignore[union-attr]
    assert still_held is not None and members == [vp] and reveal is None
    assert outbox_after == outbox_before
    no_longer = CATALOGS.translator("nl").gettext("That button no longer works.")
    assert all(a and a[0].text == no_longer for a in answers), answers


async def test_a_reply_to_a_message_that_is_no_relayed_copy_is_not_guessed(
    database: Database,
) -> None:
    """E.g. a copy from a parent who has since erased everything: with one other open case,
    the VP is still asked which case, and nothing is sent before they choose."""
    amina = await register(database, 1, Profile("vp", "Amina E", ("nl",), "f"))
    case = await accepted_case(database, await a_parent_with_key(database, "a" * 64), amina)
    async with database.transaction() as uow:
        before = await uow.outbox.pending_count()
    [asked] = await as_vp(
        database, amina, Text("Ben je er nog?"), Said("text", 1, 50, "Ben je er nog?", reply_to=7)
    )
    async with database.transaction() as uow:
        after = await uow.outbox.pending_count()
    assert after == before and [c.label.split()[0] for c in asked.all_choices] == [case.alias]
    [] = await as_vp(database, amina, Pick(asked.all_choices[0].action))
    async with database.transaction() as uow:
        assert await uow.outbox.pending_count() == before + 1
