"""The people behind the console's roster: the VPs with their load and pace, the
coordinators, the invitations still open; editing a VP, taking staff off and back on,
inviting and revoking. Every change is written to the staff audit by the one who made it.
No web and no Telegram here: the console's people pages call this."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from bot.services.bot_profile import deep_link
from bot.services.cases import CaseDesk
from bot.services.staff import COORDINATOR, PARTNER, VP, Staff, StaffLanguages
from storage import UnitOfWork
from storage.people import Profile
from storage.records import Person
from storage.roster import PendingInvite

PACE_WINDOW = timedelta(days=30)  # the median time to accept looks this far back
ACTIVE, AWAY, INACTIVE = "active", "away", "inactive"


def state_of(person: Person) -> str:
    if not person.active:
        return INACTIVE
    return AWAY if not person.available else ACTIVE


@dataclass(frozen=True)
class StaffLine:
    """One person on the roster: their load (open cases), when they last did something
    themselves, and (VPs) how long they took to accept an offer, the median of 30 days."""

    person: Person
    load: int = 0
    last_active: datetime | None = None
    median_accept: timedelta | None = None
    accepted: int = 0  # offers the median is taken over

    @property
    def state(self) -> str:
        return state_of(self.person)


@dataclass(frozen=True)
class VpChanges:
    """What a coordinator may change of a VP; checked by the form that made it."""

    display_name: str
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    gender: str
    capacity: int
    reviewer: bool = False  # may review the translations of their languages in the console


@dataclass(frozen=True)
class Invitation:
    """A new invitation: the one-time link (shown once, never stored) and until when."""

    id: int | None
    link: str
    expires_at: datetime


class Outcome(Enum):
    DONE = "done"
    UNCHANGED = "unchanged"  # it already was so
    NOT_ONESELF = "not oneself"  # a coordinator cannot deactivate themselves


def median_span(spans: list[timedelta]) -> timedelta | None:
    if not spans:
        return None
    seconds = statistics.median(span.total_seconds() for span in spans)
    return timedelta(seconds=round(seconds))


def target(person: Person) -> str:
    """How the audit names a person: "vp 3", "coordinator 1"."""
    return f"{person.role} {person.id}"


class StaffRoster:
    def __init__(
        self,
        cases: CaseDesk,
        staff: Staff,
        invite_valid: Callable[[], timedelta],
        menus: StaffLanguages,
    ) -> None:
        self._cases = cases
        self._staff = staff
        self._invite_valid = invite_valid  # the coordinator's current setting
        self._menus = menus  # a reviewer's menu has /console

    async def vps(self, uow: UnitOfWork, now: datetime) -> list[StaffLine]:
        load = await uow.cases.load_per_vp()
        last = await uow.roster.last_active()
        spans: dict[int, list[timedelta]] = {}
        for person, offered, accepted in await uow.roster.accept_times(now - PACE_WINDOW):
            spans.setdefault(person, []).append(accepted - offered)
        return [
            StaffLine(
                vp,
                load.get(vp.id, 0),
                last.get(vp.id),
                median_span(spans.get(vp.id, [])),
                len(spans.get(vp.id, [])),
            )
            for vp in await uow.roster.staff(VP)
        ]

    async def coordinators(self, uow: UnitOfWork) -> list[StaffLine]:
        last = await uow.roster.last_active()
        return [
            StaffLine(person, last_active=last.get(person.id))
            for person in await uow.roster.staff(COORDINATOR)
        ]

    @staticmethod
    async def pending_invites(uow: UnitOfWork, now: datetime) -> list[PendingInvite]:
        return await uow.roster.pending_invites(now)

    async def edit(
        self, uow: UnitOfWork, by: int, vp: Person, changes: VpChanges, now: datetime
    ) -> list[str]:
        """Stores what differs; new languages or room may fit waiting cases, so they are
        offered again. Taking the reviewer role away ends their console sessions at once.
        Returns the names of the fields that changed."""
        differs = {
            "display_name": changes.display_name != vp.display_name,
            "languages": set(changes.languages) != set(vp.languages),
            "topics": set(changes.topics) != set(vp.topics),
            "gender": changes.gender != vp.gender,
            "capacity": changes.capacity != vp.capacity,
            "reviewer": changes.reviewer != vp.reviewer,
        }
        changed = [name for name, yes in differs.items() if yes]
        if not changed:
            return []
        await uow.people.update(
            vp.id,
            display_name=changes.display_name,
            languages=",".join(changes.languages),
            topics=",".join(changes.topics),
            gender=changes.gender,
            capacity=changes.capacity,
            reviewer=changes.reviewer,
        )
        if vp.reviewer and not changes.reviewer:
            await uow.console.end_sessions_of(vp.id, now)
        if "reviewer" in changed:  # /console joins or leaves their command menu
            await self._menus.send_menu(uow, replace(vp, reviewer=changes.reviewer), now)
        await uow.console.audit(by, "edit vp", target(vp), ", ".join(changed), now)
        await self._cases.offer_waiting(uow, now)
        return changed

    async def deactivate(self, uow: UnitOfWork, by: int, person: Person, now: datetime) -> Outcome:
        """As /deactivate does: a VP's offers and open cases move on to others. Their
        console sessions end at once (a coordinator's next page is refused)."""
        if person.id == by:
            return Outcome.NOT_ONESELF
        if not person.active:
            return Outcome.UNCHANGED
        await uow.people.update(person.id, active=False)
        if person.role in (VP, PARTNER):
            await self._cases.release_vp(uow, person, "deactivated", now)
        await uow.console.end_sessions_of(person.id, now)
        await uow.console.audit(by, "deactivate", target(person), "", now)
        return Outcome.DONE

    async def activate(self, uow: UnitOfWork, by: int, person: Person, now: datetime) -> Outcome:
        """As /activate does: an active VP again may take what is waiting."""
        if person.active:
            return Outcome.UNCHANGED
        await uow.people.update(person.id, active=True)
        if person.role == VP:
            await self._cases.offer_waiting(uow, now)
        await uow.console.audit(by, "activate", target(person), "", now)
        return Outcome.DONE

    async def invite(self, uow: UnitOfWork, by: int, profile: Profile, now: datetime) -> Invitation:
        """A one-time link that registers whoever opens it first, as the CLI makes them.
        LookupError when the bot's username is not known yet (no link can be made)."""
        await deep_link(uow, "")  # before anything is written
        code, expires = await self._staff.invite(uow, profile, now, self._invite_valid())
        invite_id = await uow.roster.newest_invite(profile.role, profile.name, now)
        name = f"invite {invite_id}" if invite_id is not None else profile.role
        await uow.console.audit(by, "invite", name, profile.role, now)
        return Invitation(invite_id, await deep_link(uow, code), expires)

    @staticmethod
    async def revoke(uow: UnitOfWork, by: int, invite_id: int, now: datetime) -> bool:
        """The invitation stops working now; False when it had been used or had expired."""
        if not await uow.roster.revoke_invite(invite_id, now):
            return False
        await uow.console.audit(by, "revoke invite", f"invite {invite_id}", "", now)
        return True
