"""Opening a case when a parent consents, and offering it to the best matching VP."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.services.privacy import IdentityVault
from bot.services.routing import Candidate, Needs, Routing, route
from storage import UnitOfWork
from storage.records import Case, Person


def candidate(person: Person, load: dict[int, int]) -> Candidate:
    return Candidate(
        id=person.id,
        languages=frozenset(person.languages),
        gender=person.gender,
        topics=frozenset(person.topics),
        capacity=person.capacity,
        open_cases=load.get(person.id, 0),
        active=person.active,
        available=person.available,
        last_offer_at=person.last_offer_at,
    )


class CaseDesk:
    def __init__(self, vault: IdentityVault) -> None:
        self._vault = vault

    async def open(
        self,
        uow: UnitOfWork,
        parent_id: int,
        language: str,
        answers: dict[str, Any],
        urgent: bool,
        now: datetime,
    ) -> Case:
        """The parent consented: a waiting case, then an offer to the best VP (or nobody)."""
        gender = str(answers.get("gender") or "")
        case = await uow.cases.open(
            parent_id=parent_id,
            topic=str(answers.get("topic") or "") or None,
            language=language,
            urgent=urgent,
            gender_pref=gender if gender in "fm" else "",
            sealed_answers=self._vault.seal(json.dumps(answers, ensure_ascii=False)),
            now=now,
        )
        await uow.cases.note(case.id, "opened", f"{language}, urgent={urgent}", now)
        await self.offer_next(uow, case, now)
        return case

    async def offer_next(self, uow: UnitOfWork, case: Case, now: datetime) -> Routing:
        """Offer to the best VP not asked yet; when nobody is left, the case waits."""
        load = await uow.cases.load_per_vp()
        people = [candidate(person, load) for person in await uow.people.vps()]
        needs = Needs(case.language, case.topic, case.gender_pref or None)
        routing = route(needs, people, await uow.cases.offered_to(case.id))
        if routing.nobody:
            await uow.cases.set_status(case.id, "waiting", now)
            await uow.cases.note(case.id, "nobody", "; ".join(routing.excluded) or "no VPs", now)
            return routing
        best = routing.ranked[0]
        await uow.cases.offer(case.id, best.candidate.id, now)
        await uow.people.offered(best.candidate.id, now)
        await uow.cases.set_status(case.id, "offered", now)
        await uow.cases.note(case.id, "offered", best.reason, now)
        return routing
