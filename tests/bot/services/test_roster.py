"""The console's roster: the median time to accept over 30 days, the invitations still open
(revoked ones stop working), editing a VP (waiting cases are offered again), and taking
staff off and back on (never oneself; a coordinator's sessions end), and the reviewer role
given and taken away (their sessions end)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from bot.services.bot_profile import remember_username
from bot.services.roster import Outcome, StaffRoster, VpChanges, median_span
from bot.services.staff import Staff, StaffLanguages
from storage import Database
from storage.people import Profile
from storage.tables import OutboxMessage, StaffAuditRow
from tests.bot.services.test_case_access import a_parent_with_key, accepted_case
from tests.bot.services.test_cases import CATALOGS, DESK, NOW, VAULT, register

ROSTER = StaffRoster(
    DESK, Staff(VAULT), lambda: timedelta(days=7), StaffLanguages(VAULT, CATALOGS, lambda: ["nl"])
)


async def audit(db: Database) -> list[tuple[int, str, str, str]]:
    t = StaffAuditRow.__table__.c  # type: ignore[attr-defined]
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            select(t.person_id, t.action, t.target, t.detail).order_by(t.id)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


def test_the_median_of_an_even_count_lies_between() -> None:
    minutes = [timedelta(minutes=m) for m in (40, 10, 20, 30)]
    assert median_span(minutes) == timedelta(minutes=25)
    assert median_span([]) is None


async def test_median_time_to_accept_over_the_last_30_days(database: Database) -> None:
    amina = await register(database, 1, Profile("vp", "Amina E", ("nl",), "f"))
    omar = await register(database, 2, Profile("vp", "Omar B", ("nl",), "m"))
    async with database.transaction() as uow:
        await uow.people.update(amina, active=False)  # nothing is offered by the desk
        await uow.people.update(omar, active=False)
    parent = await a_parent_with_key(database, "a" * 64)
    answers = [  # (VP, offered how long ago, took, answer)
        (amina, timedelta(days=1), timedelta(minutes=10), "accepted"),
        (amina, timedelta(days=2), timedelta(hours=2), "accepted"),
        (amina, timedelta(days=3), timedelta(minutes=30), "accepted"),
        (amina, timedelta(days=40), timedelta(hours=10), "accepted"),  # before the window
        (amina, timedelta(hours=5), timedelta(hours=9), "declined"),  # not an acceptance
        (omar, timedelta(days=4), timedelta(hours=1), "expired"),  # passed him by
    ]
    async with database.transaction() as uow:
        case, _ = await DESK.open(uow, parent, "nl", {}, False, NOW)
        assert case is not None
        for vp, ago, took, status in answers:
            offer = await uow.cases.offer(case.id, vp, NOW - ago)
            assert await uow.cases.answer_offer(offer, status, NOW - ago + took)
        lines = {line.person.id: line for line in await ROSTER.vps(uow, NOW)}
    assert lines[amina].median_accept == timedelta(minutes=30)
    assert lines[amina].accepted == 3
    assert lines[omar].median_accept is None and lines[omar].accepted == 0
    # last active: what they did themselves (the decline, 5 h ago + 9 h), not what passed them by
    assert lines[amina].last_active == NOW + timedelta(hours=4)
    assert lines[omar].last_active is None
    assert lines[amina].state == lines[omar].state == "inactive"


async def test_pending_invitations_and_revoking_one(database: Database) -> None:
    sanne = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    staff = Staff(VAULT)
    async with database.transaction() as uow:
        await remember_username(uow, "tussenin_bot", NOW)
        made = await ROSTER.invite(uow, sanne, Profile("vp", "Hatice Y", ("tr",), "f"), NOW)
        other = await ROSTER.invite(uow, sanne, Profile("coordinator", "Joost K"), NOW)
        used = await ROSTER.invite(uow, sanne, Profile("vp", "Omar B", ("ar",), "m"), NOW)
        await staff.invite(uow, Profile("vp", "Old"), NOW - timedelta(days=8), timedelta(days=7))
        assert await staff.register(uow, used.link.split("?start=")[1], "telegram", 3, NOW)
        pending = await ROSTER.pending_invites(uow, NOW)
    assert made.link.startswith("https://t.me/tussenin_bot?start=inv")
    assert made.expires_at == NOW + timedelta(days=7)
    assert [(p.name, p.role, p.languages) for p in pending] == [
        ("Hatice Y", "vp", ("tr",)),
        ("Joost K", "coordinator", ()),
    ]
    assert made.id is not None and [p.id for p in pending] == [made.id, other.id]
    async with database.transaction() as uow:
        assert await ROSTER.revoke(uow, sanne, made.id, NOW)
        assert not await ROSTER.revoke(uow, sanne, made.id, NOW)  # once
        assert used.id is not None and not await ROSTER.revoke(uow, sanne, used.id, NOW)
        left = await ROSTER.pending_invites(uow, NOW)
        code = made.link.split("?start=")[1]
        assert await staff.register(uow, code, "telegram", 4, NOW + timedelta(seconds=1)) is None
    assert [p.name for p in left] == ["Joost K"]
    logged = await audit(database)
    assert (sanne, "invite", f"invite {made.id}", "vp") in logged
    assert (sanne, "revoke invite", f"invite {made.id}", "") in logged
    assert all(code not in str(row) and "inv" not in row[3] for row in logged)


async def test_an_invitation_needs_the_bots_name(database: Database) -> None:
    sanne = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    async with database.transaction() as uow:
        try:
            await ROSTER.invite(uow, sanne, Profile("vp", "Hatice Y", ("tr",), "f"), NOW)
        except LookupError:
            pending = await ROSTER.pending_invites(uow, NOW)
        else:
            raise AssertionError("an invitation without a link")
    assert pending == []


async def test_editing_a_vp_offers_what_now_fits(database: Database) -> None:
    sanne = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    amina = await register(database, 1, Profile("vp", "Amina E", ("nl",), "f", ("school",)))
    parent = await a_parent_with_key(database, "a" * 64)
    async with database.transaction() as uow:
        case, _ = await DESK.open(uow, parent, "tr", {}, False, NOW)
        assert case is not None and case.status == "waiting"  # nobody speaks Turkish yet
        vp = await uow.people.get(amina)
        assert vp is not None
        same = VpChanges("Amina", ("nl",), ("school",), "f", 3)
        unchanged = await ROSTER.edit(uow, sanne, vp, same, NOW)
        more = VpChanges("Amina", ("tr", "nl"), ("school",), "f", 5)
        changed = await ROSTER.edit(uow, sanne, vp, more, NOW)
        after = await uow.people.get(amina)
        offers = await uow.cases.offers_of(case.id)
    assert unchanged == [] and changed == ["languages", "capacity"]
    assert after is not None and set(after.languages) == {"nl", "tr"} and after.capacity == 5
    assert [person for _, person, _ in offers] == [amina]
    assert (sanne, "edit vp", f"vp {amina}", "languages, capacity") in await audit(database)


async def test_taking_staff_off_and_back_on(database: Database) -> None:
    sanne = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    joost = await register(database, 8, Profile("coordinator", "Joost K"))
    amina = await register(database, 1, Profile("vp", "Amina E", ("nl",), "f"))
    case = await accepted_case(database, await a_parent_with_key(database, "a" * 64), amina)
    async with database.transaction() as uow:
        await uow.console.add_session("s" * 64, joost, "Firefox", NOW)
        me, him, vp = [await uow.people.get(n) for n in (sanne, joost, amina)]
        assert me is not None and him is not None and vp is not None
        assert await ROSTER.deactivate(uow, sanne, me, NOW) is Outcome.NOT_ONESELF
        assert await ROSTER.deactivate(uow, sanne, him, NOW) is Outcome.DONE
        assert await ROSTER.deactivate(uow, sanne, vp, NOW) is Outcome.DONE
        sessions = await uow.console.sessions_of(joost)
        released = await uow.cases.get(case.id)
        off = await uow.people.get(amina)
        assert off is not None
        assert await ROSTER.deactivate(uow, sanne, off, NOW) is Outcome.UNCHANGED
        assert await ROSTER.activate(uow, sanne, off, NOW) is Outcome.DONE
        on = await uow.people.get(amina)
        lines = await ROSTER.coordinators(uow)
    assert sessions == []
    assert released is not None and released.vp_id is None and released.status == "waiting"
    assert on is not None and on.active
    assert {line.person.name: line.state for line in lines} == {
        "Sanne de Vries": "active",
        "Joost K": "inactive",
    }
    logged = await audit(database)
    assert (sanne, "deactivate", f"coordinator {joost}", "") in logged
    assert (sanne, "deactivate", f"vp {amina}", "") in logged
    assert (sanne, "activate", f"vp {amina}", "") in logged
    assert not [row for row in logged if row[2] == f"coordinator {sanne}"]


async def test_taking_the_reviewer_role_away_ends_their_sessions(database: Database) -> None:
    sanne = await register(database, 9, Profile("coordinator", "Sanne de Vries"))
    amina = await register(database, 1, Profile("vp", "Amina E", ("ar",), "f"))
    reviews = VpChanges("Amina", ("ar",), (), "f", 3, reviewer=True)
    async with database.transaction() as uow:
        vp = await uow.people.get(amina)
        assert vp is not None and not vp.reviewer
        given = await ROSTER.edit(uow, sanne, vp, reviews, NOW)
        reviewer = await uow.people.get(amina)
        assert reviewer is not None and reviewer.reviewer
        await uow.console.add_session("s" * 64, amina, "Firefox", NOW)
        taken = await ROSTER.edit(uow, sanne, reviewer, replace(reviews, reviewer=False), NOW)
        sessions = await uow.console.sessions_of(amina)
        after = await uow.people.get(amina)
    assert given == taken == ["reviewer"]
    assert after is not None and not after.reviewer and sessions == []
    # Their command menu is sent again each time: /console in it while they review.
    assert [("console" in menu) for menu in await menus(database, after.subject_hash)] == [
        True,
        False,
    ]
    assert [row for row in await audit(database) if row[1] == "edit vp"] == [
        (sanne, "edit vp", f"vp {amina}", "reviewer"),
        (sanne, "edit vp", f"vp {amina}", "reviewer"),
    ]


async def menus(database: Database, recipient: str) -> list[list[str]]:
    """The commands of every menu staged for `recipient`, oldest first."""
    async with database.transaction() as uow:
        rows = await uow._session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == recipient, OutboxMessage.kind == "menu")
            .order_by(OutboxMessage.id)
        )
        sealed = [row.sealed_payload for row in rows.scalars()]
    return [[name for name, _ in json.loads(VAULT.open(s or ""))["commands"]] for s in sealed]
