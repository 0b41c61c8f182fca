"""Cases: opened when a parent consents, offered to one VP at a time, accepted or passed on.

The offer shows only alias, language, topic and urgency; the parent's answers reach a VP
only after Accept. Reasons go into the case history; texts go out through the outbox.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.i18n import Catalogs, Translator
from bot.services.mail import Mail
from bot.services.privacy import IdentityVault
from bot.services.routing import Candidate, Needs, Routing, route
from bot.services.scheduling import TaskRegistry
from bot.services.turn import Turn
from flows.outputs import Choice, Reply
from storage import UnitOfWork
from storage.records import Case, Person, Task

OFFER_TIMEOUT = "case.offer_timeout"
ACCEPT, DECLINE = "yes", "no"
STAFF_LANGUAGE = "nl"


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


def _yes_no(t: Translator, value: bool) -> str:
    return t.gettext("yes") if value else t.gettext("no")


def offer_action(offer_id: int, answer: str) -> str:
    return f"offer:{offer_id}:{answer}"


class CaseDesk:
    def __init__(
        self, vault: IdentityVault, catalogs: Catalogs, offer_timeout: Callable[[], timedelta]
    ) -> None:
        self._vault = vault
        self._catalogs = catalogs
        self._mail = Mail(vault)
        self._offer_timeout = offer_timeout  # the coordinator's setting, which may be reloaded

    async def open(
        self,
        uow: UnitOfWork,
        parent_id: int,
        language: str,
        answers: dict[str, Any],
        urgent: bool,
        now: datetime,
    ) -> tuple[Case, list[Reply]]:
        """The parent consented: a waiting case, then an offer to the best VP (or nobody).

        Returns what the parent is told now, after the flow's own words."""
        gender = str(answers.get("gender") or "")
        case = await uow.cases.open(
            parent_id=parent_id,
            topic=str(answers.get("topic") or "") or None,
            language=language,
            urgent=urgent,
            gender_pref=gender if gender in ("f", "m") else "",
            sealed_answers=self._vault.seal(json.dumps(answers, ensure_ascii=False)),
            now=now,
        )
        await uow.cases.note(case.id, "opened", f"{language}, urgent={urgent}", now)
        routing = await self.offer_next(uow, case, now)
        if routing.nobody:
            t = self._catalogs.translator(language)
            note = t.gettext(
                "We are looking for a vertrouwenspersoon who speaks your language. "
                "This can take a little longer. We will let you know here."
            )
            return case, [Reply(note, rtl=t.rtl)]
        return case, []

    async def offer_next(self, uow: UnitOfWork, case: Case, now: datetime) -> Routing:
        """Offer to the best VP not asked yet; when nobody is left, the coordinators hear."""
        load = await uow.cases.load_per_vp()
        people = [candidate(person, load) for person in await uow.people.vps()]
        needs = Needs(case.language, case.topic, case.gender_pref or None)
        routing = route(needs, people, await uow.cases.offered_to(case.id))
        if routing.nobody:
            await uow.cases.set_status(case.id, "waiting", now)
            reasons = "; ".join(routing.excluded) or "no vertrouwenspersonen registered"
            await uow.cases.note(case.id, "nobody", reasons, now)
            await self._tell_coordinators(uow, case, reasons, now)
            return routing
        best = routing.ranked[0]
        offer_id = await uow.cases.offer(case.id, best.candidate.id, now)
        await uow.people.offered(best.candidate.id, now)
        await uow.cases.set_status(case.id, "offered", now)
        await uow.cases.note(case.id, "offered", best.reason, now)
        await uow.tasks.schedule(
            OFFER_TIMEOUT, now + self._offer_timeout(), now, payload={"offer": offer_id}
        )
        vp = await uow.people.get(best.candidate.id)
        assert vp is not None
        await self._mail.send(
            uow,
            vp.subject_hash,
            vp.sealed_chat,
            [self._offer(case, offer_id)],
            f"case:{case.id}",
            now,
        )
        return routing

    async def answer(
        self, uow: UnitOfWork, vp: Person, offer_id: int, answer: str, now: datetime
    ) -> list[Reply]:
        """A VP pressed Accept or Decline; only their own open offer counts."""
        t = self._staff()
        found = await uow.cases.get_offer(offer_id)
        if found is None or found[1] != vp.id:
            return [Reply(t.gettext("This question has already been taken or withdrawn."))]
        case = await uow.cases.get(found[0])
        status = "accepted" if answer == ACCEPT else "declined"
        if case is None or not await uow.cases.answer_offer(offer_id, status, now):
            return [Reply(t.gettext("This question has already been taken or withdrawn."))]
        await uow.cases.note(case.id, status, f"VP {vp.id}", now)
        if answer != ACCEPT:
            await self.offer_next(uow, case, now)
            return [
                Reply(
                    t.gettext("You declined {alias}. We will ask someone else.").format(
                        alias=case.alias
                    )
                )
            ]
        if not await uow.cases.assign(case.id, vp.id, now):
            await uow.cases.set_offer_status(offer_id, "withdrawn")  # another VP was first
            return [Reply(t.gettext("This question has already been taken or withdrawn."))]
        await self._tell_parent_accepted(uow, case, vp, now)
        return self._case_for_vp(case, t)

    async def expire(self, uow: UnitOfWork, offer_id: int, now: datetime) -> None:
        """Nobody answered the offer in time: the next VP is asked."""
        found = await uow.cases.get_offer(offer_id)
        if found is None or not await uow.cases.answer_offer(offer_id, "expired", now):
            return  # answered meanwhile
        case = await uow.cases.get(found[0])
        if case is not None:
            await uow.cases.note(case.id, "expired", f"VP {found[1]}", now)
            await self.offer_next(uow, case, now)

    def _offer(self, case: Case, offer_id: int) -> Reply:
        t = self._staff()
        text = t.gettext(
            "New question {alias}\nLanguage: {language}\nTopic: {topic}\nUrgent: {urgent}\n\n"
            "You see the question itself after you accept."
        ).format(
            alias=case.alias,
            language=case.language,
            topic=case.topic or "-",
            urgent=_yes_no(t, case.urgent),
        )
        return Reply(
            text,
            choices=(
                (
                    Choice(t.gettext("Accept"), offer_action(offer_id, ACCEPT)),
                    Choice(t.gettext("Decline"), offer_action(offer_id, DECLINE)),
                ),
            ),
        )

    def _case_for_vp(self, case: Case, t: Translator) -> list[Reply]:
        answers = json.loads(self._vault.open(case.sealed_answers))
        intro = Reply(t.gettext("You accepted {alias}. Their question:").format(alias=case.alias))
        question = answers.get("question")
        if isinstance(question, dict) and question.get("voice"):
            return [intro, Reply("", media=("voice", "telegram:" + str(question["voice"])))]
        return [intro, Reply(str(question or "-"))]

    async def _tell_parent_accepted(
        self, uow: UnitOfWork, case: Case, vp: Person, now: datetime
    ) -> None:
        t = self._catalogs.translator(case.language)
        text = t.gettext(
            "Good news: {name}, a vertrouwenspersoon, has your question. "
            "They will write to you here."
        ).format(name=vp.display_name)
        await self._to_parent(uow, case, [Reply(text, rtl=t.rtl)], now)

    async def _to_parent(
        self, uow: UnitOfWork, case: Case, replies: list[Reply], now: datetime
    ) -> None:
        parent = await uow.parents.get(case.parent_id)
        if parent is not None and parent.stopped_at is None and parent.channel == "telegram":
            await self._mail.send(
                uow, parent.subject_hash, parent.sealed_chat, replies, f"case:{case.id}", now
            )

    async def _tell_coordinators(
        self, uow: UnitOfWork, case: Case, reasons: str, now: datetime
    ) -> None:
        t = self._staff()
        text = t.gettext(
            "Case {alias} ({language}, urgent: {urgent}): no vertrouwenspersoon can take it "
            "now.\n{reasons}"
        ).format(
            alias=case.alias,
            language=case.language,
            reasons=reasons,
            urgent=_yes_no(t, case.urgent),
        )
        for coordinator in await uow.people.coordinators():
            await self._mail.send(
                uow,
                coordinator.subject_hash,
                coordinator.sealed_chat,
                [Reply(text)],
                f"case:{case.id}",
                now,
            )

    def _staff(self) -> Translator:
        return self._catalogs.translator(STAFF_LANGUAGE)


def register_case_tasks(registry: TaskRegistry, desk: CaseDesk) -> None:
    async def offer_timeout(turn: Turn, task: Task) -> None:
        await desk.expire(turn.uow, int(json.loads(task.payload)["offer"]), turn.now)

    registry.register(OFFER_TIMEOUT, offer_timeout)
