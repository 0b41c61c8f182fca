"""What the console shows of the cases: the board (open cases by state, urgent first, with
their 48-hour clocks) and one case's page (its head, its history in words, and why each
VP would or would not get it, as routing decides).

Plain facts for the console to put into words: no aiohttp, no Telegram. Nothing here opens
a sealed column or reads anything of the parent but the language and topic of their case
and whether a VP blocked them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.i18n import Translator
from bot.services import case_history as history
from bot.services import staff_words as words
from bot.services.cases import candidate
from bot.services.coordinator_settings import CoordinatorSettings
from bot.services.routing import GENDERS, Needs, Reason, route
from storage import UnitOfWork
from storage.board import OpenCase
from storage.cases import OPEN_STATUSES
from storage.records import Case, Mediation, Person, Referral

# An urgent clock with less than this left shows as "soon".
SOON = timedelta(hours=12)
GROUPS = OPEN_STATUSES  # the board's groups, in a case's order of life
BLOCKED = "blocked"  # the VP blocked this case's parent: never offered it


class Timed(Protocol):
    """What an urgent clock needs of a case (a Case or a board's OpenCase)."""

    @property
    def urgent(self) -> bool: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def first_contact_at(self) -> datetime | None: ...
    @property
    def breached_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class UrgentClock:
    """The 48-hour clock of an open urgent case nobody has been in contact on."""

    deadline: datetime
    left: timedelta  # until the deadline; zero once it has passed
    over: timedelta  # since the breach; zero before it
    state: str  # "" in time, "soon" under SOON left, "late" breached

    @property
    def late(self) -> bool:
        return self.state == "late"


def urgent_clock(case: Timed, breach_after: timedelta, now: datetime) -> UrgentClock | None:
    """None when the clock does not run: not urgent, closed, or a VP is in contact."""
    if not case.urgent or case.first_contact_at is not None or case.status not in OPEN_STATUSES:
        return None
    deadline = case.created_at + breach_after
    if case.breached_at is not None or now >= deadline:
        since = case.breached_at or deadline
        return UrgentClock(deadline, timedelta(0), max(now - since, timedelta(0)), "late")
    left = deadline - now
    return UrgentClock(deadline, left, timedelta(0), "soon" if left < SOON else "")


@dataclass(frozen=True)
class BoardCase:
    case: OpenCase
    clock: UrgentClock | None
    age: timedelta  # since it was opened
    mediation: bool = False  # referred, care stalled, and its VP mediates


@dataclass(frozen=True)
class Board:
    groups: tuple[tuple[str, list[BoardCase]], ...]  # (state, its cases), every state
    breaches: list[BoardCase]  # open cases whose deadline was missed
    mediations: list[BoardCase]  # referred cases whose care stalled: their VP mediates

    @property
    def empty(self) -> bool:
        return not any(cases for _, cases in self.groups)


async def board(uow: UnitOfWork, settings: CoordinatorSettings, now: datetime) -> Board:
    """Open cases by state; in each state urgent first, then the oldest."""
    limit = settings.urgent.breach_after
    mediating = await uow.referrals.mediating()
    shown = [
        BoardCase(
            case,
            urgent_clock(case, limit, now),
            max(now - case.created_at, timedelta(0)),
            case.id in mediating,
        )
        for case in await uow.board.open_cases()
    ]

    def order(entry: BoardCase) -> tuple[bool, datetime, int]:
        return (not entry.case.urgent, entry.case.created_at, entry.case.id)

    groups = tuple(
        (state, sorted((e for e in shown if e.case.status == state), key=order)) for state in GROUPS
    )
    breaches = sorted((e for e in shown if e.case.breached_at is not None), key=order)
    mediations = sorted((e for e in shown if e.mediation), key=order)
    return Board(groups, breaches, mediations)


@dataclass(frozen=True)
class Fit:
    """One VP as routing sees them for this case, with every fact that decides."""

    vp: Person
    code: str  # "fits", a routing.SKIPPED code, or BLOCKED
    reason: Reason  # routing's own reason (its detail puts it into words)
    rank: int | None  # 1: the first routing would offer it to (when code == "fits")
    speaks: bool
    gender_fits: bool | None  # None: the parent asked for no gender
    open_cases: int
    full: bool
    topic_match: bool
    offer: str | None  # the status of their latest offer of this case, if any
    has_case: bool  # the case's VP now


@dataclass(frozen=True)
class Explanation:
    needs: Needs
    fits: list[Fit]  # who routing would choose, best first; then the others by number

    def speakers(self, besides: int | None = None) -> list[Person]:
        """Active VPs who speak the case's language and may have it (but `besides`)."""
        return [
            f.vp
            for f in self.fits
            if f.vp.active and f.speaks and f.code != BLOCKED and f.vp.id != besides
        ]

    @property
    def assignable(self) -> list[Fit]:
        """Whom a coordinator may give the case to: every active VP but the one who has it
        and any who blocked the parent; those who speak the language first."""
        chosen = [f for f in self.fits if f.vp.active and not f.has_case and f.code != BLOCKED]
        return sorted(chosen, key=lambda f: (not f.speaks, f.open_cases, f.vp.id))


async def explain(uow: UnitOfWork, case: Case, settings: CoordinatorSettings) -> Explanation:
    """Routing's view of the case now: the same candidates, needs and passed-over VPs as
    CaseDesk.offer_next uses, with the facts behind each verdict."""
    load = await uow.cases.load_per_vp()
    people = sorted(await uow.people.vps(), key=lambda p: p.id)
    blocked = await uow.cases.blocked_for(case.parent_id)
    latest = {person: status for _, person, status in await uow.cases.offers_of(case.id)}
    preferred = settings.matching.preferred_gender.get(case.topic or "")
    needs = Needs(case.language, case.topic, case.gender_pref or None, preferred)
    routing = route(needs, [candidate(p, load) for p in people], set(latest) | blocked)
    ranks = {r.candidate.id: (i, r.reason) for i, r in enumerate(routing.ranked, start=1)}
    skipped = {reason.vp: reason for reason in routing.excluded}
    fits = []
    for person in people:
        rank, reason = ranks.get(person.id, (None, skipped.get(person.id)))
        assert reason is not None
        code = BLOCKED if person.id in blocked else reason.code
        open_cases = load.get(person.id, 0)
        fits.append(
            Fit(
                vp=person,
                code=code,
                reason=reason,
                rank=rank,
                speaks=case.language in person.languages,
                gender_fits=person.gender == needs.gender if needs.gender in GENDERS else None,
                open_cases=open_cases,
                full=open_cases >= person.capacity,
                topic_match=case.topic is not None and case.topic in person.topics,
                offer=latest.get(person.id),
                has_case=person.id == case.vp_id,
            )
        )
    fits.sort(key=lambda f: (f.rank is None, f.rank or 0, f.vp.id))
    return Explanation(needs, fits)


@dataclass(frozen=True)
class Moment:
    at: datetime
    text: str


async def timeline(uow: UnitOfWork, case: Case, t: Translator) -> list[Moment]:
    """The case's history in the reader's words, as /case shows it: VPs by number and
    display name, coordinators by name, parents never."""
    events = await uow.cases.events(case.id)
    people = {i: await uow.people.get(i) for i in history.people_in(e.detail for e in events)}

    def who(person_id: Any) -> str:
        if not isinstance(person_id, int):
            return "-"
        return words.staff_member(t, people.get(person_id), person_id)

    return [Moment(e.at, history.sentence(t, e.kind, e.detail, who)) for e in events]


@dataclass(frozen=True)
class CaseView:
    case: Case
    vp: Person | None
    clock: UrgentClock | None
    moments: list[Moment]
    explanation: Explanation
    notes: int  # how many notes the VPs keep on it; their text is theirs
    referral: Referral | None  # the partner it is referred to, while it is
    partner: str | None  # that partner's name (its id when it left the map)
    mediation: Mediation | None  # care stalled: the VP mediates

    @property
    def open(self) -> bool:
        return self.case.status in OPEN_STATUSES


async def case_view(
    uow: UnitOfWork, case: Case, t: Translator, settings: CoordinatorSettings, now: datetime
) -> CaseView:
    vp = await uow.people.get(case.vp_id) if case.vp_id is not None else None
    referral = await uow.referrals.current(case.id)
    return CaseView(
        case=case,
        vp=vp,
        clock=urgent_clock(case, settings.urgent.breach_after, now),
        moments=await timeline(uow, case, t),
        explanation=await explain(uow, case, settings),
        notes=await uow.notes.count(case.id),
        referral=referral,
        partner=_partner_name(settings, referral),
        mediation=await uow.referrals.mediation(case.id),
    )


def _partner_name(settings: CoordinatorSettings, referral: Referral | None) -> str | None:
    if referral is None:
        return None
    partner = settings.partner(referral.partner_id)
    return partner.name if partner is not None else referral.partner_id
