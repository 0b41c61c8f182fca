"""Cases, their offers and their history."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case as sql_case
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import Case
from storage.results import affected_rows
from storage.tables import (
    CaseAccessRow,
    CaseEventRow,
    CaseMemberRow,
    CaseMessageRow,
    CaseNoteRow,
    CaseProfessionalRow,
    CaseRow,
    HandoverRow,
    HeldMessageRow,
    MediationRow,
    OfferRow,
    ParentBlockRow,
    ReferralRow,
    RelayRow,
)

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: an alias read aloud or retyped stays unambiguous.
ALIAS_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
ALIAS_LENGTH = 4
# "referred": passed on to a partner, still open and relaying while care starts (#17)
OPEN_STATUSES = ("waiting", "offered", "accepted", "in_contact", "referred")
RELAYING = ("accepted", "in_contact", "referred")
CASE = CaseRow.__table__.c  # type: ignore[attr-defined]
OFFER = OfferRow.__table__.c  # type: ignore[attr-defined]
EVENT = CaseEventRow.__table__.c  # type: ignore[attr-defined]
MEMBER = CaseMemberRow.__table__.c  # type: ignore[attr-defined]
ACCESS = CaseAccessRow.__table__.c  # type: ignore[attr-defined]
BLOCK = ParentBlockRow.__table__.c  # type: ignore[attr-defined]
MEDIATION = MediationRow.__table__.c  # type: ignore[attr-defined]
# Every row that belongs to a case, erased with it (purge, /forget), children first.
CASE_CHILDREN = (
    OfferRow,
    CaseEventRow,
    CaseMemberRow,
    RelayRow,
    HeldMessageRow,
    CaseNoteRow,
    CaseProfessionalRow,
    CaseMessageRow,
    HandoverRow,
    MediationRow,
    ReferralRow,
)


EventValue = str | int | bool | None
CaseDetail = dict[str, EventValue] | str
MAX_DETAIL = 500  # the column's width


@dataclass(frozen=True)
class CaseEvent:
    kind: str
    detail: CaseDetail  # plain text in rows written before details were structured
    at: datetime


def _detail(stored: str) -> CaseDetail:
    if stored.startswith("{"):
        try:
            value = json.loads(stored)
        except ValueError:
            return stored
        if isinstance(value, dict):
            return value
    return stored


def _case(row: CaseRow) -> Case:
    assert row.id is not None
    return Case(
        id=row.id,
        alias=row.alias,
        parent_id=row.parent_id,
        topic=row.topic,
        language=row.language,
        urgent=row.urgent,
        gender_pref=row.gender_pref,
        sealed_answers=row.sealed_answers,
        status=row.status,
        vp_id=row.vp_id,
        created_at=row.created_at,
        outcome=row.outcome,
        accepted_at=row.accepted_at,
        first_contact_at=row.first_contact_at,
        closed_at=row.closed_at,
        sealed_reveal=row.sealed_reveal,
        breached_at=row.breached_at,
        continues_id=row.continues_id,
    )


class Cases:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open(
        self,
        *,
        parent_id: int,
        topic: str | None,
        language: str,
        urgent: bool,
        gender_pref: str,
        sealed_answers: str,
        now: datetime,
        continues_id: int | None = None,
    ) -> Case:
        """A new waiting case with a fresh short alias (continuing a family's earlier one)."""
        for _ in range(20):
            alias = "".join(secrets.choice(ALIAS_ALPHABET) for _ in range(ALIAS_LENGTH))
            row = CaseRow(
                alias=alias,
                parent_id=parent_id,
                topic=topic,
                language=language,
                urgent=urgent,
                gender_pref=gender_pref,
                sealed_answers=sealed_answers,
                status="waiting",
                created_at=now,
                updated_at=now,
                continues_id=continues_id,
            )
            try:
                async with self._session.begin_nested():
                    self._session.add(row)
            except IntegrityError:
                continue  # the alias was taken: draw again
            return _case(row)
        raise RuntimeError("no free case alias after 20 tries")

    async def of_parent(self, parent_id: int) -> list[Case]:
        rows = await self._session.execute(select(CaseRow).where(CASE.parent_id == parent_id))
        return [_case(row) for row in rows.scalars()]

    async def open_count(self, parent_id: int) -> int:
        """Toward the parent's limit: a referred case does not count."""
        counted = [status for status in OPEN_STATUSES if status != "referred"]
        query = (
            select(func.count())
            .select_from(CaseRow)
            .where(CASE.parent_id == parent_id, CASE.status.in_(counted))
        )
        return int((await self._session.execute(query)).scalar_one())

    async def load_per_vp(self) -> dict[int, int]:
        """Open cases per VP: routing ranks by it and never goes past capacity. A referred
        case counts only while a mediation on it is open."""
        mediating = select(MEDIATION.case_id).where(MEDIATION.closed_at.is_(None))
        counted = CASE.status.in_([s for s in OPEN_STATUSES if s != "referred"]) | (
            (CASE.status == "referred") & CASE.id.in_(mediating)
        )
        query = (
            select(CASE.vp_id, func.count())
            .where(CASE.vp_id.is_not(None), counted)
            .group_by(CASE.vp_id)
        )
        return {int(vp): int(n) for vp, n in (await self._session.execute(query)).all()}

    async def set_language(self, case_id: int, language: str, now: datetime) -> None:
        await self._session.execute(
            update(CaseRow).where(CASE.id == case_id).values(language=language, updated_at=now)
        )

    async def set_status(self, case_id: int, status: str, now: datetime) -> None:
        await self._session.execute(
            update(CaseRow).where(CASE.id == case_id).values(status=status, updated_at=now)
        )

    async def offer(self, case_id: int, person_id: int, now: datetime) -> int:
        row = OfferRow(case_id=case_id, person_id=person_id, status="open", created_at=now)
        self._session.add(row)
        await self._session.flush()
        assert row.id is not None
        return row.id

    async def offered_to(self, case_id: int) -> set[int]:
        rows = await self._session.execute(select(OFFER.person_id).where(OFFER.case_id == case_id))
        return {int(person) for person in rows.scalars()}

    async def answer_offer(self, offer_id: int, status: str, now: datetime) -> bool:
        """Close an open offer; False when it was no longer open (someone was first)."""
        result = await self._session.execute(
            update(OfferRow)
            .where(OFFER.id == offer_id, OFFER.status == "open")
            .values(status=status, answered_at=now)
        )
        return affected_rows(result) == 1

    async def note(
        self, case_id: int, kind: str, detail: Mapping[str, EventValue], now: datetime
    ) -> None:
        """One event of the case's history: plain values (codes, VP ids, numbers), stored as
        JSON and put into words when read; VPs by id, parents never."""
        text = json.dumps(dict(detail), ensure_ascii=False, separators=(",", ":"))
        if len(text) > MAX_DETAIL:
            raise ValueError(f"a {kind} event's detail is longer than {MAX_DETAIL} characters")
        self._session.add(CaseEventRow(case_id=case_id, at=now, kind=kind, detail=text))
        await self._session.flush()

    async def history(self, case_id: int) -> list[tuple[str, CaseDetail]]:
        """Each event's kind and detail: a dict, or the plain text of an older row."""
        return [(event.kind, event.detail) for event in await self.events(case_id)]

    async def events(self, case_id: int) -> list[CaseEvent]:
        rows = await self._session.execute(
            select(EVENT.kind, EVENT.detail, EVENT.at)
            .where(EVENT.case_id == case_id)
            .order_by(EVENT.id)
        )
        return [CaseEvent(kind, _detail(detail), at) for kind, detail, at in rows.all()]

    async def lock(self, case_id: int) -> Case | None:
        """The case, locked until the transaction ends: everything that changes a case and
        its offers takes this first, so two Accepts queue instead of deadlocking."""
        row = (
            await self._session.execute(select(CaseRow).where(CASE.id == case_id).with_for_update())
        ).scalar_one_or_none()
        return _case(row) if row else None

    async def get(self, case_id: int) -> Case | None:
        row = await self._session.get(CaseRow, case_id)
        return _case(row) if row else None

    async def get_offer(self, offer_id: int) -> tuple[int, int, str] | None:
        """(case id, person id, status) of an offer."""
        row = await self._session.get(OfferRow, offer_id)
        return (row.case_id, row.person_id, row.status) if row else None

    async def assign(self, case_id: int, vp_id: int, now: datetime) -> bool:
        """The accepting VP takes the case; False when it was no longer on offer."""
        result = await self._session.execute(
            update(CaseRow)
            .where(CASE.id == case_id, CASE.status == "offered")
            .values(status="accepted", vp_id=vp_id, accepted_at=now, updated_at=now)
        )
        return affected_rows(result) == 1

    async def assign_by_hand(self, case_id: int, vp_id: int, now: datetime) -> None:
        """A coordinator's choice, past capacity and filters if they decide so, or a
        colleague's handover. A case in contact or referred stays so: the family was
        reached, and its referral goes on."""
        kept = sql_case(
            (CASE.status.in_(("in_contact", "referred")), CASE.status), else_="accepted"
        )
        await self._session.execute(
            update(CaseRow)
            .where(CASE.id == case_id)
            .values(
                status=kept,
                vp_id=vp_id,
                accepted_at=func.coalesce(CASE.accepted_at, now),
                updated_at=now,
            )
        )

    async def release(self, case_id: int, now: datetime) -> None:
        """The VP can no longer take it: back to waiting, without a VP or second person."""
        await self._session.execute(
            update(CaseRow)
            .where(CASE.id == case_id)
            .values(status="waiting", vp_id=None, updated_at=now)
        )
        await self._session.execute(delete(CaseMemberRow).where(MEMBER.case_id == case_id))

    async def contacted(self, case_id: int, now: datetime) -> bool:
        """The VP wrote to the parent: in contact (the first time only; True then)."""
        result = await self._session.execute(
            update(CaseRow)
            .where(CASE.id == case_id, CASE.status == "accepted")
            .values(status="in_contact", first_contact_at=now, updated_at=now)
        )
        return affected_rows(result) == 1

    async def close(self, case_id: int, status: str, outcome: str, now: datetime) -> bool:
        """Closed or withdrawn with its outcome; False when it was not open any more."""
        result = await self._session.execute(
            update(CaseRow)
            .where(CASE.id == case_id, CASE.status.in_(OPEN_STATUSES))
            .values(status=status, outcome=outcome, closed_at=now, updated_at=now)
        )
        return affected_rows(result) == 1

    async def by_alias(self, alias: str) -> Case | None:
        row = (
            await self._session.execute(select(CaseRow).where(CASE.alias == alias.upper()))
        ).scalar_one_or_none()
        return _case(row) if row else None

    async def set_reveal(self, case_id: int, sealed: str) -> None:
        await self._session.execute(
            update(CaseRow).where(CASE.id == case_id).values(sealed_reveal=sealed)
        )

    async def add_member(self, case_id: int, person_id: int, now: datetime) -> None:
        if person_id not in await self.members(case_id):
            self._session.add(CaseMemberRow(case_id=case_id, person_id=person_id, added_at=now))
            await self._session.flush()

    async def remove_member(self, case_id: int, person_id: int) -> None:
        await self._session.execute(
            delete(CaseMemberRow).where(MEMBER.case_id == case_id, MEMBER.person_id == person_id)
        )

    async def members(self, case_id: int) -> list[int]:
        """Who may read and write the case: its VP, then any second person."""
        case = await self._session.get(CaseRow, case_id)
        if case is None or case.vp_id is None:
            return []
        rows = await self._session.execute(
            select(MEMBER.person_id).where(MEMBER.case_id == case_id).order_by(MEMBER.added_at)
        )
        return [case.vp_id, *(int(p) for p in rows.scalars() if p != case.vp_id)]

    async def of_member(self, person_id: int) -> list[Case]:
        """Open cases a person has as VP or second person, oldest first."""
        seconds = select(MEMBER.case_id).where(MEMBER.person_id == person_id)
        rows = await self._session.execute(
            select(CaseRow)
            .where(
                (CASE.vp_id == person_id) | CASE.id.in_(seconds),
                CASE.status.in_(OPEN_STATUSES),
            )
            .order_by(CASE.id)
        )
        return [_case(row) for row in rows.scalars()]

    async def open_of_parent(self, parent_id: int) -> list[Case]:
        rows = await self._session.execute(
            select(CaseRow)
            .where(CASE.parent_id == parent_id, CASE.status.in_(OPEN_STATUSES))
            .order_by(CASE.id)
        )
        return [_case(row) for row in rows.scalars()]

    async def breach(self, case_id: int, now: datetime) -> bool:
        """Record the urgent path's breach; False when it was recorded before."""
        result = await self._session.execute(
            update(CaseRow)
            .where(CASE.id == case_id, CASE.breached_at.is_(None))
            .values(breached_at=now, updated_at=now)
        )
        return affected_rows(result) == 1

    async def open_by_status(self) -> dict[str, int]:
        """How many cases are open, per status (a status without cases is left out)."""
        query = (
            select(CASE.status, func.count())
            .where(CASE.status.in_(OPEN_STATUSES))
            .group_by(CASE.status)
        )
        return {str(s): int(n) for s, n in (await self._session.execute(query)).all()}

    async def oldest_urgent_without_contact(self) -> datetime | None:
        """When the oldest open urgent case without a VP in contact was opened: its 48-hour
        clock runs out first."""
        query = select(func.min(CASE.created_at)).where(
            CASE.urgent, CASE.status.in_(OPEN_STATUSES), CASE.first_contact_at.is_(None)
        )
        oldest: datetime | None = (await self._session.execute(query)).scalar_one()
        return oldest

    async def urgent_since(self, since: datetime) -> list[Case]:
        """Urgent cases that are open, or were opened after `since`, oldest first."""
        rows = await self._session.execute(
            select(CaseRow)
            .where(CASE.urgent, CASE.status.in_(OPEN_STATUSES) | (CASE.created_at >= since))
            .order_by(CASE.id)
        )
        return [_case(row) for row in rows.scalars()]

    async def closed_before(self, cutoff: datetime) -> list[Case]:
        """Closed and withdrawn cases whose retention has passed."""
        rows = await self._session.execute(
            select(CaseRow).where(CASE.status.in_(("closed", "withdrawn")), CASE.closed_at < cutoff)
        )
        return [_case(row) for row in rows.scalars()]

    async def purge(self, case_ids: list[int]) -> None:
        """Every row of these cases: offers, history, members, relay copies, held messages,
        notes, referrals and mediations."""
        if not case_ids:
            return
        for child in CASE_CHILDREN:
            table = child.__table__  # type: ignore[union-attr]
            await self._session.execute(delete(table).where(table.c.case_id.in_(case_ids)))
        await self._session.execute(delete(CaseRow).where(CASE.id.in_(case_ids)))

    async def purge_access(self, cutoff: datetime) -> int:
        result = await self._session.execute(delete(CaseAccessRow).where(ACCESS.at < cutoff))
        return affected_rows(result)

    async def open_offers(self) -> list[tuple[int, int, int, datetime]]:
        """(offer, case, person, offered at) of every open offer, oldest first."""
        rows = await self._session.execute(
            select(OFFER.id, OFFER.case_id, OFFER.person_id, OFFER.created_at)
            .where(OFFER.status == "open")
            .order_by(OFFER.id)
        )
        return [(int(o), int(c), int(p), at) for o, c, p, at in rows.all()]

    async def everything(self) -> list[Case]:
        """Every case, oldest first (the simulator's report)."""
        rows = await self._session.execute(select(CaseRow).order_by(CASE.id))
        return [_case(row) for row in rows.scalars()]

    async def waiting(self) -> list[Case]:
        """Cases nobody could take yet, oldest first."""
        rows = await self._session.execute(
            select(CaseRow).where(CASE.status == "waiting").order_by(CASE.id)
        )
        return [_case(row) for row in rows.scalars()]

    async def open_offers_to(self, person_id: int) -> list[int]:
        rows = await self._session.execute(
            select(OFFER.id).where(OFFER.person_id == person_id, OFFER.status == "open")
        )
        return [int(o) for o in rows.scalars()]

    async def accessed(self, case: Case, person_id: int, action: str, now: datetime) -> None:
        """The audit log: who read, wrote or changed which case, when."""
        self._session.add(
            CaseAccessRow(
                case_id=case.id, alias=case.alias, person_id=person_id, action=action, at=now
            )
        )
        await self._session.flush()

    async def access_log(self, case_id: int) -> list[tuple[int, str]]:
        rows = await self._session.execute(
            select(ACCESS.person_id, ACCESS.action)
            .where(ACCESS.case_id == case_id)
            .order_by(ACCESS.id)
        )
        return [(int(p), str(a)) for p, a in rows.all()]

    async def block(self, parent_id: int, person_id: int, now: datetime) -> None:
        if person_id not in await self.blocked_for(parent_id):
            self._session.add(ParentBlockRow(parent_id=parent_id, person_id=person_id, at=now))
            await self._session.flush()

    async def blocked_for(self, parent_id: int) -> set[int]:
        """VPs who blocked this parent: never offered their cases again."""
        rows = await self._session.execute(
            select(BLOCK.person_id).where(BLOCK.parent_id == parent_id)
        )
        return {int(p) for p in rows.scalars()}

    async def offers_of(self, case_id: int) -> list[tuple[int, int, str]]:
        """(offer id, person id, status) of every offer of a case, oldest first."""
        rows = await self._session.execute(
            select(OFFER.id, OFFER.person_id, OFFER.status)
            .where(OFFER.case_id == case_id)
            .order_by(OFFER.id)
        )
        return [(int(o), int(p), str(s)) for o, p, s in rows.all()]

    async def set_offer_status(self, offer_id: int, status: str) -> None:
        await self._session.execute(
            update(OfferRow).where(OFFER.id == offer_id).values(status=status)
        )

    async def of_vp(self, vp_id: int) -> list[Case]:
        """A VP's open cases, oldest first."""
        rows = await self._session.execute(
            select(CaseRow)
            .where(CASE.vp_id == vp_id, CASE.status.in_(OPEN_STATUSES))
            .order_by(CASE.id)
        )
        return [_case(row) for row in rows.scalars()]
