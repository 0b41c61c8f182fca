"""Cases: opened when a parent consents, offered to one VP at a time, accepted or passed on.

The offer shows only alias, language, topic and urgency; the parent's answers reach a VP
only after Accept. Reasons go into the case history; texts go out through the outbox.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Catalogs, Translator
from bot.services import case_history as history
from bot.services import staff_words as words
from bot.services.case_digest import conversation_so_far
from bot.services.coordinator_settings import CoordinatorSettings
from bot.services.mail import Mail
from bot.services.privacy import IdentityVault
from bot.services.relay import Relay
from bot.services.routing import (
    GENDERS,
    NO_PREFERENCE,
    Candidate,
    Needs,
    Reason,
    Routing,
    route,
)
from bot.services.scheduling import TaskRegistry
from bot.services.staff import staff_translator
from bot.services.task_kinds import (
    FOLLOW_UP,
    MEDIATE,
    OFFER_TIMEOUT,
    URGENT_BREACH,
    URGENT_COORDINATOR,
    URGENT_EVERYONE,
    VP_REMINDER,
)
from bot.services.turn import Turn
from flows.limits import MAX_BUTTON_LABEL
from flows.outputs import TELEGRAM_FILE, Choice, Reply
from storage import Parent, UnitOfWork
from storage.cases import OPEN_STATUSES
from storage.records import Case, Person, Task

ACCEPT, DECLINE = "yes", "no"
ASSIGN = "assign:"  # a coordinator's choice: assign:<case>:<person>[:sure<VP it had>]
CONFIRMED = "sure"  # … confirmed although the VP does not speak the case's language
# How a case ends; the VP chooses. "withdrawn" makes the case withdrawn, the rest closed. A
# referral is no end: the case stays open, referred (bot.services.referrals); the outcomes
# referred_cjg, referred_wijkteam, referred_huisarts, referred_other of older cases remain.
OUTCOMES = ("helped", "no_contact", "withdrawn")
BLOCKED = "blocked"
DEFAULT_ZONE = ZoneInfo("Europe/Amsterdam")  # TIMEZONE's default (bot.settings)
NO_ANSWER = "no_answer"  # referred, and a check-in went unanswered (bot.services.referrals)


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


def offer_action(offer_id: int, answer: str) -> str:
    return f"offer:{offer_id}:{answer}"


def assign_action(case_id: int, vp_id: int, confirmed_over: int | None = None) -> str:
    """A coordinator's choice of a VP for a case; confirmed across languages while the case
    was with VP `confirmed_over` (0: nobody): a confirmation goes stale when that changed."""
    suffix = "" if confirmed_over is None else f":{CONFIRMED}{confirmed_over}"
    return f"{ASSIGN}{case_id}:{vp_id}{suffix}"


# Words a parent typed for their question while buttons waited (bot.services.keeping).
ADDED_TO_QUESTION = "question_added"


class CaseDesk:
    def __init__(
        self,
        vault: IdentityVault,
        catalogs: Catalogs,
        settings: Callable[[], CoordinatorSettings],
        zone: ZoneInfo = DEFAULT_ZONE,
    ) -> None:
        self._vault = vault
        self._catalogs = catalogs
        self._mail = Mail(vault)
        self.relay = Relay(vault, catalogs)
        self._settings = settings  # the coordinator's, which may be reloaded
        self._zone = zone  # TIMEZONE: the times in the conversation so far

    async def open(
        self,
        uow: UnitOfWork,
        parent_id: int,
        language: str,
        answers: dict[str, Any],
        urgent: bool,
        now: datetime,
    ) -> tuple[Case | None, list[Reply]]:
        """The parent consented: a waiting case, then an offer to the best VP (or nobody).

        Returns what the parent is told now, after the flow's own words."""
        t = self._catalogs.translator(language)
        if await uow.cases.open_count(parent_id) >= self._settings().cases.max_open_per_parent:
            text = t.gettext(
                "You already have questions with us that are still open, so I did not start "
                "a new one. Write here and your vertrouwenspersoon will read it."
            )
            return None, [Reply(text, rtl=t.rtl)]
        gender = str(answers.get("gender") or "")
        case = await uow.cases.open(
            parent_id=parent_id,
            topic=str(answers.get("topic") or "") or None,
            language=language,
            urgent=urgent,
            # "" when the parent was not asked or skipped: the topic's preferred gender counts
            gender_pref=gender if gender in GENDERS else (NO_PREFERENCE if gender else ""),
            sealed_answers=self._vault.seal(json.dumps(answers, ensure_ascii=False)),
            now=now,
        )
        await uow.cases.note(case.id, "opened", {"language": language, "urgent": urgent}, now)
        routing = await self.offer_next(uow, case, now)
        asked = min(len(routing.ranked), self._settings().urgent.first_wave if urgent else 1)
        if urgent:
            await self._start_ladder(uow, case, len(routing.ranked), now)
        if routing.nobody:
            note = t.gettext(
                "We are looking for a vertrouwenspersoon who speaks your language. "
                "This can take a little longer. We will let you know here."
            )
            return case, [Reply(note, rtl=t.rtl)]
        if urgent and asked > 1:  # the truth: "several" only when there are several
            note = t.ngettext(
                "We are now asking {count} vertrouwenspersoon at once.",
                "We are now asking {count} vertrouwenspersonen at once.",
                asked,
            ).format(count=asked)
            return case, [Reply(note, rtl=t.rtl)]
        if urgent:
            note = t.gettext("We have asked a vertrouwenspersoon who speaks your language.")
            return case, [Reply(note, rtl=t.rtl)]
        return case, []

    async def _start_ladder(self, uow: UnitOfWork, case: Case, offered: int, now: datetime) -> None:
        """An urgent case: its later steps are scheduled now, and every coordinator hears."""
        ladder = self._settings().urgent
        # When no active VP speaks the language, waiting 24 h for the coordinators' buttons
        # helps nobody: they are asked at once (the ladder marks why).
        speakers = [
            vp for vp in await uow.people.vps() if vp.active and case.language in vp.languages
        ]
        steps = (
            (URGENT_EVERYONE, case.created_at + ladder.everyone_after),
            (URGENT_COORDINATOR, case.created_at + ladder.coordinator_after if speakers else now),
            (URGENT_BREACH, case.created_at + ladder.breach_after),
        )
        for kind, due in steps:
            await uow.tasks.schedule(
                kind,
                due,
                now,
                payload={"case": case.id},
                idempotency_key=f"{kind}:{case.id}",
            )
        if offered:  # when nobody could take it, the coordinators have been told already

            def told(t: Translator) -> list[Reply]:
                count = min(offered, ladder.first_wave)
                text = t.ngettext(
                    "Urgent question {alias} ({language}): offered to {count} "
                    "vertrouwenspersoon. /urgent shows its clock.",
                    "Urgent question {alias} ({language}): offered to {count} "
                    "vertrouwenspersonen at once. /urgent shows its clock.",
                    count,
                ).format(alias=case.alias, language=words.language(t, case.language), count=count)
                return [Reply(text)]

            await self.tell_coordinators(uow, case, told, now)

    async def offer_waiting(self, uow: UnitOfWork, now: datetime) -> None:
        """A VP registered, came back or has room again: waiting cases are offered again,
        oldest first (the coordinators already heard about them)."""
        for case in await uow.cases.waiting():
            await self.offer_next(uow, case, now, again=True)

    async def offer_next(
        self, uow: UnitOfWork, case: Case, now: datetime, again: bool = False, wave: int = 0
    ) -> Routing:
        """Offer to the best VP not asked yet — an urgent case to the best few at once, or to
        `wave` of them; when nobody is left, the coordinators hear (not `again`: a waiting
        case offered anew stays as it was)."""
        wave = wave or (self._settings().urgent.first_wave if case.urgent else 1)
        load = await uow.cases.load_per_vp()
        people = [candidate(person, load) for person in await uow.people.vps()]
        preferred = self._settings().matching.preferred_gender.get(case.topic or "")
        needs = Needs(case.language, case.topic, case.gender_pref or None, preferred)
        passed = await uow.cases.offered_to(case.id) | await uow.cases.blocked_for(case.parent_id)
        routing = route(needs, people, passed)
        if routing.nobody and again:
            return routing
        if routing.nobody:
            await uow.cases.set_status(case.id, "waiting", now)
            for skipped in routing.excluded:
                await uow.cases.note(case.id, "skipped", skipped.detail(), now)
            await uow.cases.note(case.id, "nobody", {}, now)
            await self._nobody_can_take(uow, case, routing.excluded, now)
            return routing
        await uow.cases.set_status(case.id, "offered", now)
        for best in routing.ranked[:wave]:
            vp = await uow.people.get(best.candidate.id)
            assert vp is not None
            await self._offer_to(uow, case, vp, "offered", best.reason.detail(), now)
        return routing

    async def _offer_to(
        self,
        uow: UnitOfWork,
        case: Case,
        vp: Person,
        event: str,
        detail: dict[str, Any],
        now: datetime,
    ) -> None:
        """One offer: noted with why, timed out unless urgent (its ladder goes on instead)."""
        offer_id = await uow.cases.offer(case.id, vp.id, now)
        await uow.people.offered(vp.id, now)
        await uow.cases.note(case.id, event, detail, now)
        if not case.urgent:
            await uow.tasks.schedule(
                OFFER_TIMEOUT,
                now + self._settings().timings.offer_timeout,
                now,
                payload={"offer": offer_id},
            )
        await self._mail.send(
            uow,
            vp.subject_hash,
            vp.sealed_chat,
            [self._offer(staff_translator(self._catalogs, vp), case, offer_id, now)],
            f"case:{case.id}",
            now,
        )

    async def continue_with(
        self,
        uow: UnitOfWork,
        parent_id: int,
        language: str,
        answers: dict[str, Any],
        earlier: Case,
        vp: Person,
        now: datetime,
    ) -> Case | None:
        """The family comes back and chose to continue with `vp`: a new case, linked to the
        earlier one, offered first to them (then to others, as any case, when they do not
        take it). None when the parent's open questions are at their limit."""
        if await uow.cases.open_count(parent_id) >= self._settings().cases.max_open_per_parent:
            return None
        case = await uow.cases.open(
            parent_id=parent_id,
            topic=earlier.topic,
            language=language,
            urgent=False,
            gender_pref=earlier.gender_pref,
            sealed_answers=self._vault.seal(json.dumps(answers, ensure_ascii=False)),
            now=now,
            continues_id=earlier.id,
        )
        await uow.cases.note(case.id, "opened", {"language": language, "urgent": False}, now)
        await uow.cases.set_status(case.id, "offered", now)
        opened = await uow.cases.get(case.id)
        assert opened is not None
        detail = {"vp": vp.id, "earlier": earlier.alias}
        await self._offer_to(uow, opened, vp, "offered_again", detail, now)
        return opened

    async def answer(
        self, uow: UnitOfWork, vp: Person, offer_id: int, answer: str, now: datetime
    ) -> list[Reply]:
        """A VP pressed Accept or Decline; only their own open offer counts."""
        t = staff_translator(self._catalogs, vp)
        found = await uow.cases.get_offer(offer_id)
        if found is None or found[1] != vp.id:
            return [Reply(t.gettext("This question has already been taken or withdrawn."))]
        case = await uow.cases.lock(found[0])
        status = "accepted" if answer == ACCEPT else "declined"
        if case is None or not await uow.cases.answer_offer(offer_id, status, now):
            return [Reply(t.gettext("This question has already been taken or withdrawn."))]
        await uow.cases.note(case.id, status, {"vp": vp.id}, now)
        if answer != ACCEPT:
            still_open = [o for o in await uow.cases.offers_of(case.id) if o[2] == "open"]
            if not still_open:  # an urgent case may still be with others of its wave
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
        await self._withdraw_offers(uow, case, now)
        await self._schedule_follow_ups(uow, case, now)
        await self._tell_parent_accepted(uow, case, vp, now)
        await uow.cases.accessed(case, vp.id, "read", now)
        intro = t.gettext("You accepted {alias}. Their question:").format(alias=case.alias)
        replies = self.case_for_vp(case, intro, t)
        # Taken over (the VP before was released): the conversation so far, before anything new.
        replies += await conversation_so_far(uow, self._vault, case, t, self._zone)
        await self._mail.send(uow, vp.subject_hash, vp.sealed_chat, replies, f"case:{case.id}", now)
        await self.relay.deliver_held(uow, case, now)
        return []

    async def expire(self, uow: UnitOfWork, offer_id: int, now: datetime) -> None:
        """Nobody answered the offer in time: the next VP is asked."""
        found = await uow.cases.get_offer(offer_id)
        case = await uow.cases.lock(found[0]) if found is not None else None
        if found is None or not await uow.cases.answer_offer(offer_id, "expired", now):
            return  # answered meanwhile
        if case is not None:
            await uow.cases.note(case.id, "expired", {"vp": found[1]}, now)
            await self.offer_next(uow, case, now)

    async def _schedule_follow_ups(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        """Accepted: a check-in with the parent later, and a reminder to the VP if they
        have not written by then."""
        follow_ups = self._settings().follow_ups
        parent = await uow.parents.get(case.parent_id)
        if parent is not None:
            await uow.tasks.schedule(
                FOLLOW_UP,
                now + follow_ups.checkin_after,
                now,
                subject=parent.subject_hash,
                payload={"flow": "checkin", "case": case.id},
                idempotency_key=f"checkin:{case.id}",
            )
        await uow.tasks.schedule(
            VP_REMINDER,
            now + follow_ups.vp_reminder_after,
            now,
            payload={"case": case.id},
            idempotency_key=f"vp_reminder:{case.id}",
        )

    async def remind_vp(self, uow: UnitOfWork, case_id: int, now: datetime) -> None:
        """The VP accepted but has not written to the parent yet."""
        case = await uow.cases.get(case_id)
        if case is None or case.status != "accepted" or case.vp_id is None:
            return
        vp = await uow.people.get(case.vp_id)
        if vp is None:
            return
        await uow.cases.note(case.id, "reminded", {"vp": vp.id}, now)
        text = staff_translator(self._catalogs, vp).gettext(
            "Reminder: the parent of {alias} is waiting for your first message. Write to "
            "them here (reply to their question)."
        )
        await self.tell(uow, vp, text.format(alias=case.alias), case, now)

    async def mediate(self, uow: UnitOfWork, case_id: int, now: datetime) -> None:
        """The parent said "not yet" and the VP has still not written: a coordinator steps in."""
        case = await uow.cases.get(case_id)
        if case is None or case.status not in ("accepted", "waiting", "offered"):
            return
        await uow.cases.note(case.id, "mediate", {}, now)

        def told(t: Translator) -> list[Reply]:
            text = t.gettext(
                "The parent of {alias} said the vertrouwenspersoon has not been in touch, and "
                "there is still no contact. Please mediate: /case {alias}"
            )
            return [Reply(text.format(alias=case.alias))]

        await self.tell_coordinators(uow, case, told, now)

    async def checked_in(
        self, uow: UnitOfWork, parent: Parent, case_id: int, answer: str, now: datetime
    ) -> None:
        """The parent's answer to a check-in about their case."""
        case = await uow.cases.lock(case_id)
        if case is None or case.parent_id != parent.id or case.status not in OPEN_STATUSES:
            return
        await uow.cases.note(case.id, "checkin", {"answer": answer}, now)
        if answer == "not_yet" and case.first_contact_at is None:
            await self.remind_vp(uow, case.id, now)
            await uow.tasks.schedule(
                MEDIATE,
                now + self._settings().follow_ups.mediate_after,
                now,
                payload={"case": case.id},
                idempotency_key=f"mediate:{case.id}",
            )
        elif answer == "stop" and await uow.cases.close(case.id, "withdrawn", "withdrawn", now):
            await self._end_referral(uow, case.id, "withdrawn", now)
            await uow.cases.note(case.id, "withdrawn", {"by": "parent"}, now)
            await self._withdraw_offers(uow, case, now)
            for member_id in await uow.cases.members(case.id):
                member = await uow.people.get(member_id)
                if member is not None:
                    text = staff_translator(self._catalogs, member).gettext(
                        "The parent of {alias} would rather stop. The question is closed; "
                        "thank you."
                    )
                    await self.tell(uow, member, text.format(alias=case.alias), case, now)

    @staticmethod
    async def _end_referral(uow: UnitOfWork, case_id: int, outcome: str, now: datetime) -> None:
        """A closed case's referral and duos with professionals end; closed as helped, the
        referral counts for its partner as reached and helped."""
        for duo in await uow.professionals.of_case(case_id):
            await uow.professionals.end(duo.id, "closed", now)
        for referral in await uow.referrals.end(case_id, now):
            if outcome == "helped":
                await uow.referrals.reached(referral, now)
                await uow.referrals.count(referral.partner_id, "helped", now)

    async def _withdraw_offers(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        """The case is taken: the others who had it on offer hear so."""
        for offer_id, person_id, status in await uow.cases.offers_of(case.id):
            if status == "open" and await uow.cases.answer_offer(offer_id, "withdrawn", now):
                other = await uow.people.get(person_id)
                if other is not None:
                    t = staff_translator(self._catalogs, other)
                    text = t.gettext("{alias} has been taken by a colleague. Thank you.")
                    await self.tell(uow, other, text.format(alias=case.alias), case, now)

    async def release_vp(self, uow: UnitOfWork, vp: Person, reason: str, now: datetime) -> None:
        """A VP blocked the bot or was deactivated: their offers and open cases move on. A
        professional of a partner leaves the cases they were brought into."""
        if vp.role == "partner":
            await self.release_professional(uow, vp, now)
            return
        for offer_id in await uow.cases.open_offers_to(vp.id):
            found = await uow.cases.get_offer(offer_id)
            if found is not None and await uow.cases.answer_offer(offer_id, "withdrawn", now):
                case = await uow.cases.get(found[0])
                if case is not None:
                    await uow.cases.note(case.id, "withdrawn", {"vp": vp.id, "reason": reason}, now)
                    await self.offer_next(uow, case, now)
        for case in await uow.cases.of_vp(vp.id):
            await self._release(uow, vp, case, reason, now)

    async def _release(
        self, uow: UnitOfWork, vp: Person, case: Case, reason: str, now: datetime
    ) -> None:
        """The VP no longer has the case: the parent hears that someone else is being found,
        and it is offered again; an urgent case nobody was in contact on climbs the ladder
        from where its clock stands."""
        await self._without_professionals(uow, case, now)
        await uow.cases.release(case.id, now)
        await uow.cases.note(case.id, "released", {"vp": vp.id, "reason": reason}, now)
        t = self._catalogs.translator(case.language)
        text = t.vpgettext(
            vp.gender,
            "Your vertrouwenspersoon can no longer continue with your question. We are "
            "looking for someone else and will let you know here.",
        )
        await self.to_parent(uow, case, [Reply(text, rtl=t.rtl)], now)
        released = await uow.cases.get(case.id)
        assert released is not None
        if released.urgent and released.first_contact_at is None:
            await self._climb_again(uow, released, now)
        else:
            await self.offer_next(uow, released, now)

    async def release_professional(self, uow: UnitOfWork, person: Person, now: datetime) -> None:
        """A professional is taken off: they leave every case they were asked into or are
        on; its VP and parent hear."""
        for case in await uow.cases.of_member(person.id):
            await uow.cases.remove_member(case.id, person.id)
            vp = await uow.people.get(case.vp_id) if case.vp_id is not None else None
            if vp is not None:
                text = staff_translator(self._catalogs, vp).gettext(
                    "{second} can no longer take part in {alias}."
                )
                await self.tell(
                    uow, vp, text.format(second=person.display_name, alias=case.alias), case, now
                )
            pt = self._catalogs.translator(case.language)
            gone = pt.gettext("{second} no longer reads along.").format(second=person.display_name)
            await self.to_parent(uow, case, [Reply(gone, rtl=pt.rtl)], now)
        for duo in await uow.professionals.of_person(person.id):
            await uow.professionals.end(duo.id, "deactivated", now)

    async def _without_professionals(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        """The case changes hands: a professional the parent let in for this VP leaves it
        (the parent may let them in again through the next VP)."""
        for duo in await uow.professionals.of_case(case.id):
            if not await uow.professionals.end(duo.id, "released", now):
                continue
            professional = await uow.people.get(duo.person_id)
            if professional is not None and duo.joined_at is not None:
                text = staff_translator(self._catalogs, professional).gettext(
                    "Your part in {alias} has ended. You can no longer read or write in it. "
                    "Thank you."
                )
                await self.tell(uow, professional, text.format(alias=case.alias), case, now)

    async def give_back(
        self, uow: UnitOfWork, vp: Person, case: Case, reason: str, now: datetime
    ) -> None:
        """The VP gives a case back (going away): offered to others as when they leave, and
        the coordinators hear."""
        await uow.cases.accessed(case, vp.id, "released", now)
        await self._release(uow, vp, case, reason, now)

        def told(t: Translator) -> list[Reply]:
            text = t.gettext(
                "{name} gave {alias} back while away; it is offered to others. Its history: "
                "/case {alias}"
            )
            return [Reply(text.format(name=vp.name, alias=case.alias))]

        await self.tell_coordinators(uow, case, told, now)

    async def _before_contact(self, uow: UnitOfWork, case: Case) -> bool:
        """An urgent case its VP holds while nobody has been in contact: the clock runs."""
        current = await uow.cases.lock(case.id)
        return (
            current is not None
            and current.urgent
            and current.status == "accepted"
            and current.first_contact_at is None
        )

    async def _give_back(
        self, uow: UnitOfWork, vp: Person, case: Case, reason: str, now: datetime
    ) -> None:
        """The VP lets go of an urgent case before contact (a close or a block): released,
        and the ladder goes on."""
        await uow.cases.accessed(case, vp.id, "released", now)
        await self._release(uow, vp, case, reason, now)

    async def _climb_again(self, uow: UnitOfWork, case: Case, now: datetime) -> None:
        """An urgent case lost its VP before contact: its clock runs on (the breach task is
        still due), and it climbs the ladder from where that clock is: offered to a first
        wave, or to everyone past `everyone_after`; the coordinators are asked at once when
        nobody new can take it or the coordinator step has passed."""
        ladder = self._settings().urgent
        age = now - case.created_at
        wave = 10_000 if age >= ladder.everyone_after else 0
        routing = await self.offer_next(uow, case, now, wave=wave)
        if routing.nobody or age >= ladder.coordinator_after:
            await uow.tasks.schedule(
                URGENT_COORDINATOR,
                now,
                now,
                payload={"case": case.id},
                idempotency_key=f"{URGENT_COORDINATOR}:{case.id}:{now.isoformat()}",
            )

    async def assign_by_hand(
        self,
        uow: UnitOfWork,
        coordinator: Person,
        case: Case,
        vp: Person,
        now: datetime,
        confirmed: bool = False,
    ) -> list[Reply]:
        """A coordinator gives a case to a VP of their choice, past capacity if need be; to
        one who does not speak the case's language only once they confirmed it."""
        t = staff_translator(self._catalogs, coordinator)
        if case.language not in vp.languages and not confirmed:
            return [await self._confirm_across_languages(uow, t, case, vp)]
        await uow.cases.lock(case.id)
        await self._withdraw_offers(uow, case, now)
        previous = case.vp_id
        if previous is not None and previous != vp.id:
            await self._without_professionals(uow, case, now)
            await uow.cases.release(case.id, now)
            old = await uow.people.get(previous)
            if old is not None:
                text = staff_translator(self._catalogs, old).gettext(
                    "A coordinator gave {alias} to another vertrouwenspersoon."
                )
                await self.tell(uow, old, text.format(alias=case.alias), case, now)
        await uow.cases.assign_by_hand(case.id, vp.id, now)
        await self._schedule_follow_ups(uow, case, now)
        await uow.cases.note(case.id, "assigned", {"coordinator": coordinator.id, "vp": vp.id}, now)
        await uow.cases.accessed(case, coordinator.id, "assigned", now)
        await uow.cases.accessed(case, vp.id, "read", now)
        vt = staff_translator(self._catalogs, vp)
        head = vt.gettext("A coordinator gave you {alias}.").format(alias=case.alias)
        await self._brief(uow, case, vp, head, now)
        if previous != vp.id:
            await self._tell_parent_accepted(uow, case, vp, now)
        await self.relay.deliver_held(uow, case, now)
        text = t.gettext("{alias} is now with {name}.")
        return [Reply(text.format(alias=case.alias, name=vp.name))]

    async def _brief(
        self, uow: UnitOfWork, case: Case, vp: Person, head: str, now: datetime
    ) -> None:
        """Whoever takes a case over: how they got it, its facts, the question, then the
        conversation so far, before anything new."""
        vt = staff_translator(self._catalogs, vp)
        intro = "\n".join(
            (
                head,
                words.facts(vt, case, self._settings().urgent.breach_after, now),
                "",
                vt.gettext("Their question:"),
            )
        )
        so_far = await conversation_so_far(uow, self._vault, case, vt, self._zone)
        await self._mail.send(
            uow,
            vp.subject_hash,
            vp.sealed_chat,
            [*self.case_for_vp(case, intro, vt), *so_far],
            f"case:{case.id}",
            now,
        )

    async def hand_over(
        self, uow: UnitOfWork, from_vp: Person, to_vp: Person, case: Case, now: datetime
    ) -> None:
        """A colleague accepted the case from its VP: they have it from now on, in the state
        it is in, with the question and the conversation so far before anything new; the
        parent hears who continues. A professional brought in by the VP before leaves."""
        await uow.cases.lock(case.id)
        await self._without_professionals(uow, case, now)
        await uow.cases.remove_member(case.id, to_vp.id)  # a second person becomes its VP
        await uow.cases.assign_by_hand(case.id, to_vp.id, now)
        await uow.cases.note(case.id, "handed_over", {"vp": from_vp.id, "colleague": to_vp.id}, now)
        await uow.cases.accessed(case, to_vp.id, "read", now)
        vt = staff_translator(self._catalogs, to_vp)
        head = vt.gettext("You now have {alias}, from {name}.").format(
            alias=case.alias, name=from_vp.display_name
        )
        await self._brief(uow, case, to_vp, head, now)
        pt = self._catalogs.translator(case.language)
        text = pt.vpgettext(
            to_vp.gender,
            "{name}, a vertrouwenspersoon, continues with your question from now on. Your "
            "name and number stay hidden.",
        ).format(name=to_vp.display_name)
        await self.to_parent(uow, case, [Reply(text, rtl=pt.rtl)], now)
        await self.relay.deliver_held(uow, case, now)

    async def _confirm_across_languages(
        self, uow: UnitOfWork, t: Translator, case: Case, vp: Person
    ) -> Reply:
        """Their first message will not count as contact until someone on the case speaks
        the language: say so, name who does, and ask before assigning."""
        language = words.language(t, case.language)
        text = t.gettext(
            "{name} does not speak {language}. Their messages count as contact with the "
            "parent of {alias} only once a second person who speaks {language} joins the "
            "case (/duo). Give it to {name} anyway?"
        ).format(name=vp.name, language=language, alias=case.alias)
        speakers = [
            p.name
            for p in await uow.people.vps()
            if p.active and p.id != vp.id and case.language in p.languages
        ]
        if speakers:
            text += "\n" + t.gettext("Who speaks {language}: {names}").format(
                language=language, names=", ".join(speakers)
            )
        else:
            text += "\n" + t.gettext("Nobody speaks {language}.").format(language=language)
        label = t.gettext("Yes, give it to {name}").format(name=vp.name)[:MAX_BUTTON_LABEL]
        action = assign_action(case.id, vp.id, confirmed_over=case.vp_id or 0)
        return Reply(text, choices=((Choice(label, action),),))

    async def close(
        self,
        uow: UnitOfWork,
        vp: Person,
        case: Case,
        outcome: str,
        now: datetime,
        by: Person | None = None,
    ) -> list[Reply]:
        """The VP ends the case with its outcome (or a coordinator, `by`, for them); the
        parent is told kindly. An urgent case before contact is given back instead: only
        the parent ends its clock."""
        t = staff_translator(self._catalogs, vp)
        if outcome in (*OUTCOMES, BLOCKED, NO_ANSWER) and await self._before_contact(uow, case):
            await self._give_back(uow, vp, case, f"{outcome}{history.BEFORE_CONTACT}", now)
            text = t.gettext(
                "{alias} is urgent and nobody has been in contact with the parent yet, so it "
                "stays open: it goes back to the others and its 48-hour clock runs on. "
                "Thank you."
            )
            return [Reply(text.format(alias=case.alias))]
        status = "withdrawn" if outcome == "withdrawn" else "closed"
        if outcome not in (*OUTCOMES, BLOCKED, NO_ANSWER) or not await uow.cases.close(
            case.id, status, outcome, now
        ):
            return [Reply(t.gettext("{alias} is already closed.").format(alias=case.alias))]
        await self._end_referral(uow, case.id, outcome, now)
        closer = by or vp
        await uow.cases.note(case.id, status, {"vp": closer.id, "outcome": outcome}, now)
        await uow.cases.accessed(case, closer.id, "closed", now)
        after = self._settings().follow_ups.satisfaction_after
        parent = await uow.parents.get(case.parent_id)
        if after is not None and outcome not in ("withdrawn", BLOCKED) and parent is not None:
            await uow.tasks.schedule(
                FOLLOW_UP,
                now + after,
                now,
                subject=parent.subject_hash,
                payload={"flow": "satisfaction"},  # anonymous: no case
                idempotency_key=f"satisfaction:{case.id}",
            )
        pt = self._catalogs.translator(case.language)
        text = pt.vpgettext(
            vp.gender,
            "{name} has closed this conversation. Thank you for your trust. "
            "Whenever you want to talk again, write here or send /start.",
        ).format(name=vp.display_name)
        await self.to_parent(uow, case, [Reply(text, rtl=pt.rtl)], now)
        for member_id in await uow.cases.members(case.id):
            member = await uow.people.get(member_id)
            if member is not None and member.id != vp.id:
                note = staff_translator(self._catalogs, member).gettext(
                    "{alias} has been closed by {name}."
                )
                await self.tell(uow, member, note.format(alias=case.alias, name=vp.name), case, now)
        return [Reply(t.gettext("{alias} is closed. Thank you.").format(alias=case.alias))]

    async def close_by_coordinator(
        self, uow: UnitOfWork, coordinator: Person, case: Case, outcome: str, now: datetime
    ) -> bool:
        """A coordinator closes a case with its outcome (the console). With a VP it closes
        as that VP would (the parent and the members hear) and the VP is told who closed
        it; an urgent case before contact is given back instead, as `close` does. Without a
        VP its offers are withdrawn, it closes and the parent is told (not for
        "withdrawn": they withdrew it themselves). True when the case closed."""
        current = await uow.cases.lock(case.id)
        if outcome not in OUTCOMES or current is None or current.status not in OPEN_STATUSES:
            return False
        vp = await uow.people.get(current.vp_id) if current.vp_id is not None else None
        if vp is not None:
            given_back = await self._before_contact(uow, current)
            told = await self.close(uow, vp, current, outcome, now, by=coordinator)
            if given_back:  # the VP hears why it left them, as if they had closed it
                await self._mail.send(
                    uow, vp.subject_hash, vp.sealed_chat, told, f"case:{case.id}", now
                )
                return False
            note = staff_translator(self._catalogs, vp).gettext(
                "{alias} has been closed by {name}."
            )
            await self.tell(
                uow, vp, note.format(alias=case.alias, name=coordinator.name), case, now
            )
            return True
        await self._withdraw_offers(uow, current, now)
        status = "withdrawn" if outcome == "withdrawn" else "closed"
        if not await uow.cases.close(case.id, status, outcome, now):
            return False
        await self._end_referral(uow, case.id, outcome, now)
        await uow.cases.accessed(current, coordinator.id, "closed", now)
        # Read as "coordinator NAME closed it: OUTCOME." (case_history names staff by role).
        await uow.cases.note(case.id, status, {"vp": coordinator.id, "outcome": outcome}, now)
        if outcome != "withdrawn":
            pt = self._catalogs.translator(current.language)
            text = pt.gettext(
                "Your question has been closed. Whenever you want to talk again, write here "
                "or send /start."
            )
            await self.to_parent(uow, current, [Reply(text, rtl=pt.rtl)], now)
        return True

    async def block(self, uow: UnitOfWork, vp: Person, case: Case, now: datetime) -> list[Reply]:
        """The VP blocks the parent (abuse): the case closes, the parent is never routed to
        them again, and the coordinators hear of it. Nobody learns who the parent is. An
        urgent case before contact is not closed: it climbs the ladder again without them."""
        given_back = await self._before_contact(uow, case)
        await uow.cases.block(case.parent_id, vp.id, now)  # first: never offered to them again
        replies = await self.close(uow, vp, case, BLOCKED, now)

        def told(t: Translator) -> list[Reply]:
            if given_back:
                text = t.gettext(
                    "{name} blocked the parent of {alias} before anyone was in contact. The "
                    "urgent question stays open and goes to someone else; its clock runs on. "
                    "Its history: /case {alias}"
                )
            else:
                text = t.gettext(
                    "{name} blocked the parent of {alias}; the case is closed. "
                    "Its history: /case {alias}"
                )
            return [Reply(text.format(name=vp.name, alias=case.alias))]

        await self.tell_coordinators(uow, case, told, now)
        return replies

    async def withdraw_all(self, uow: UnitOfWork, parent_id: int, now: datetime) -> None:
        """/forget: open cases are withdrawn; copies younger than 48 hours are deleted from
        the staff's chats, and the staff are asked to delete the rest. Each case is added
        to the anonymous figures first, as a purge would."""
        cases = await uow.cases.of_parent(parent_id)
        for case in cases:
            await uow.outbox.drop_source(f"case:{case.id}", "relay", "the parent erased everything")
            for offer_id, _, status in await uow.cases.offers_of(case.id):
                if status == "open":
                    await uow.cases.answer_offer(offer_id, "withdrawn", now)
            await uow.cases.close(case.id, "withdrawn", "withdrawn", now)
            erased = await uow.cases.get(case.id)
            if erased is not None:  # counted anonymously, as a purge would, then erased
                await uow.figures.add_case(erased)
            for member_id in await uow.cases.members(case.id):
                member = await uow.people.get(member_id)
                if member is not None:
                    t = staff_translator(self._catalogs, member)
                    text = t.gettext(
                        "The parent of {alias} has withdrawn and asked us to erase everything. "
                        "We deleted what they sent in the last 48 hours from this chat; "
                        "please delete the rest of this conversation yourself."
                    )
                    await self.tell(uow, member, text.format(alias=case.alias), case, now)
        since = now - timedelta(hours=48)
        for copy in await uow.relays.sent_since([c.id for c in cases], since):
            person = await uow.people.find(copy.recipient)
            if person is not None and copy.copy_message_id is not None:
                await self._mail.delete(
                    uow,
                    person.subject_hash,
                    person.sealed_chat,
                    copy.copy_message_id,
                    "forget",
                    now,
                )

    async def tell(
        self, uow: UnitOfWork, person: Person, text: str, case: Case, now: datetime
    ) -> None:
        await self._mail.send(
            uow, person.subject_hash, person.sealed_chat, [Reply(text)], f"case:{case.id}", now
        )

    def _offer(self, t: Translator, case: Case, offer_id: int, now: datetime) -> Reply:
        text = "\n".join(
            (
                t.gettext("New question {alias}").format(alias=case.alias),
                words.facts(t, case, self._settings().urgent.breach_after, now),
                "",
                t.gettext("You see the question itself after you accept."),
            )
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

    def case_for_vp(self, case: Case, intro: str, t: Translator | None = None) -> list[Reply]:
        """The question itself, and when the parent can safely be reached if they said so:
        for the VP who accepted and anyone brought in later (`t`: the reader's language)."""
        t = t or self._catalogs.translator(None)
        answers = json.loads(self._vault.open(case.sealed_answers))
        question = answers.get("question")
        if isinstance(question, dict) and question.get("voice"):
            said = Reply("", media=("voice", TELEGRAM_FILE + str(question["voice"])), protect=True)
        elif question:
            said = Reply(str(question), protect=True)
        else:  # the danger flow lets the parent skip it
            said = Reply(t.gettext("(The parent did not describe the situation.)"))
        replies = [Reply(intro), said]
        # What the parent typed while the next buttons waited belongs with the question.
        replies += [Reply(str(more), protect=True) for more in answers.get(ADDED_TO_QUESTION, [])]
        if answers.get("safe_time"):
            text = t.gettext("A safe time to contact them, in their words: {time}")
            replies.append(Reply(text.format(time=answers["safe_time"]), protect=True))
        return replies

    async def _tell_parent_accepted(
        self, uow: UnitOfWork, case: Case, vp: Person, now: datetime
    ) -> None:
        t = self._catalogs.translator(case.language)
        text = t.vpgettext(
            vp.gender,
            "Good news: {name}, a vertrouwenspersoon, has your question. "
            "They will write to you here. Your name and number stay hidden; "
            "if you want to share them, use /share.",
        ).format(name=vp.display_name)
        await self.to_parent(uow, case, [Reply(text, rtl=t.rtl)], now)

    async def language_changed(
        self, uow: UnitOfWork, parent_id: int, code: str, now: datetime
    ) -> None:
        """The parent chose another language: the bot's own texts about their open cases
        follow it; a conversation with a VP carries on, and the VP is told."""
        for case in await uow.cases.open_of_parent(parent_id):
            await uow.cases.set_language(case.id, code, now)
            if not case.relaying:
                continue
            for person_id in await uow.cases.members(case.id):
                person = await uow.people.get(person_id)
                if person is None or not person.active:
                    continue
                t = staff_translator(self._catalogs, person)
                text = t.gettext(
                    "The parent of {alias} now reads the bot's messages in {language}. "
                    "Your conversation carries on as before."
                ).format(alias=case.alias, language=words.language(t, code))
                await self.tell(uow, person, text, case, now)

    async def to_parent(
        self, uow: UnitOfWork, case: Case, replies: list[Reply], now: datetime
    ) -> None:
        parent = await uow.parents.get(case.parent_id)
        if parent is not None and parent.stopped_at is None:
            await self._mail.send(
                uow, parent.subject_hash, parent.sealed_chat, replies, f"case:{case.id}", now
            )

    async def _nobody_can_take(
        self, uow: UnitOfWork, case: Case, skipped: list[Reason], now: datetime
    ) -> None:
        people = {person.id: person for person in await uow.people.vps()}

        def told(t: Translator) -> list[Reply]:
            text = t.gettext(
                "Case {alias} ({language}, {topic}, {urgency}): no vertrouwenspersoon can take "
                "it now."
            ).format(
                alias=case.alias,
                language=words.language(t, case.language),
                topic=words.topic(t, case.topic),
                urgency=words.urgency(t, case.urgent),
            )
            why = [
                f"{words.vp(people.get(r.vp), r.vp)}: {history.skipped(t, r.detail())}"
                for r in skipped
            ]
            if not skipped:
                why = [t.gettext("No vertrouwenspersonen are registered yet.")]
            return [Reply("\n".join([text, *why]))]

        await self.tell_coordinators(uow, case, told, now)

    async def tell_coordinators(
        self,
        uow: UnitOfWork,
        case: Case,
        compose: Callable[[Translator], list[Reply]],
        now: datetime,
    ) -> None:
        """Every active coordinator hears, each in their own language."""
        for coordinator in await uow.people.coordinators():
            await self._mail.send(
                uow,
                coordinator.subject_hash,
                coordinator.sealed_chat,
                compose(staff_translator(self._catalogs, coordinator)),
                f"case:{case.id}",
                now,
            )


def register_case_tasks(registry: TaskRegistry, desk: CaseDesk) -> None:
    async def offer_timeout(turn: Turn, task: Task) -> None:
        await desk.expire(turn.uow, int(json.loads(task.payload)["offer"]), turn.now)

    async def vp_reminder(turn: Turn, task: Task) -> None:
        await desk.remind_vp(turn.uow, int(json.loads(task.payload)["case"]), turn.now)

    async def mediate(turn: Turn, task: Task) -> None:
        await desk.mediate(turn.uow, int(json.loads(task.payload)["case"]), turn.now)

    registry.register(OFFER_TIMEOUT, offer_timeout)
    registry.register(VP_REMINDER, vp_reminder)
    registry.register(MEDIATE, mediate)
