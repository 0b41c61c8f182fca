"""What a vertrouwenspersoon can do in their own chat with the bot: answer offers, write to
parents through the relay, read a case's card and keep notes on it, close a case, block a
parent, bring in a second person, and manage their own availability."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.i18n import Catalogs, Translator
from bot.services import staff_words as words
from bot.services.case_card import CaseCard
from bot.services.cases import ACCEPT, DECLINE, OUTCOMES, CaseDesk
from bot.services.console_access import ConsoleAccess
from bot.services.continuity import Continuity
from bot.services.professionals import Professionals
from bot.services.referrals import Referrals
from bot.services.relay import Said
from bot.services.sharing import Sharing
from bot.services.staff import LANGUAGE_ACTION, PARTNER, StaffLanguages, staff_translator
from flows.inputs import Command, Input, Pick, number
from flows.outputs import Choice, Reply
from storage import UnitOfWork
from storage.records import Case, Person

MAX_DISPLAY_NAME = 40
MAX_CAPACITY = 20
CLOSE, OUTCOME, BLOCK = "close:", "outcome:", "block:"


class VpDesk:
    def __init__(
        self,
        catalogs: Catalogs,
        cases: CaseDesk,
        sharing: Sharing,
        languages: StaffLanguages,
        console: ConsoleAccess,
        card: CaseCard,
        referrals: Referrals,
        professionals: Professionals,
        continuity: Continuity,
    ) -> None:
        self._catalogs = catalogs
        self._cases = cases
        self._sharing = sharing
        self._languages = languages
        self._console = console  # a reviewer's link to the translations
        self._card = card
        self._referrals = referrals
        self._professionals = professionals  # a duo with a partner's professional
        self._continuity = continuity  # handovers and going away

    async def handle(
        self,
        uow: UnitOfWork,
        person: Person,
        incoming: Input,
        now: datetime,
        said: Said | None = None,
    ) -> list[Reply]:
        t = staff_translator(self._catalogs, person)
        if isinstance(incoming, Pick) and incoming.action.startswith(LANGUAGE_ACTION):
            return await self._languages.choose(uow, person, incoming.action, now)
        if isinstance(incoming, Pick):
            return await self._pick(uow, person, incoming.action, now, t)
        if not isinstance(incoming, Command):
            if said is not None:
                return await self._cases.relay.from_staff(uow, person, said, now)
            return [self._help(t, person)]
        argument = (incoming.argument or "").strip()
        capacity = number(argument)
        match incoming.name:
            case "":  # a slash without a command word after it
                return [
                    Reply(
                        t.gettext(
                            "Write a command straight after the slash, in Latin letters, "
                            "for example /help."
                        )
                    )
                ]
            case "name" if 0 < len(argument) <= MAX_DISPLAY_NAME:
                await uow.people.update(person.id, display_name=argument)
                return [Reply(t.gettext("Parents now see you as {name}.").format(name=argument))]
            case "away":
                own = await self._own(uow, person)
                return await self._continuity.away(uow, person, own, argument, now)
            case "handover":
                own = await self._own(uow, person)
                return await self._continuity.handover(uow, person, own, incoming.argument, now)
            case "available":
                await uow.people.update(person.id, available=True, away_until=None)
                await self._cases.offer_waiting(uow, now)
                return [Reply(t.gettext("You are available again for new questions."))]
            case "capacity" if capacity is not None and 1 <= capacity <= MAX_CAPACITY:
                await uow.people.update(person.id, capacity=capacity)
                await self._cases.offer_waiting(uow, now)
                return [
                    Reply(
                        t.ngettext(
                            "You take at most {count} open question at a time.",
                            "You take at most {count} open questions at a time.",
                            capacity,
                        ).format(count=capacity)
                    )
                ]
            case "capacity":
                return [Reply(t.gettext("Write a number from 1 to 20, for example /capacity 3."))]
            case "language":
                return [self._languages.picker(person)]
            case "cases":
                return [self._cases_of(await uow.cases.of_member(person.id), t)]
            case "case":
                return await self._card.show(uow, person, argument, now)
            case "note":
                return await self._card.note(uow, person, incoming.argument, now)
            case "close" | "block" | "duo" | "refer":
                return await self._on_case(uow, person, incoming.name, argument, now, t)
            case "appointment":
                own = await self._own(uow, person)
                return await self._referrals.appointment(uow, person, own, argument, now)
            case "step":
                own = await self._own(uow, person)
                return await self._referrals.step(uow, person, own, incoming.argument, now)
            case "summary":
                own = await self._own(uow, person)
                return await self._professionals.summary(uow, person, own, incoming.argument, now)
            case "console" if self._console.may_use(person):  # a reviewer of translations
                return [await self._console.answer(uow, person, now, t)]
        return [self._help(t, person)]

    async def _on_case(
        self,
        uow: UnitOfWork,
        person: Person,
        command: str,
        alias: str,
        now: datetime,
        t: Translator,
    ) -> list[Reply]:
        """/close, /block, /duo and /refer act on one of the VP's own open cases, named or
        chosen."""
        own = await self._own(uow, person)
        if alias:
            case = words.named(own, alias)
            if case is None:
                return [Reply(words.not_yours(t, alias))]
            return await self._act(uow, person, command, case, now, t)
        if len(own) == 1:
            return await self._act(uow, person, command, own[0], now, t)
        if not own:
            return [Reply(t.gettext("You have no open questions."))]
        rows = tuple((Choice(c.alias, f"{CLOSE}{command}:{c.id}"),) for c in own)
        return [Reply(t.gettext("Which question?"), choices=rows)]

    async def _act(
        self,
        uow: UnitOfWork,
        person: Person,
        command: str,
        case: Case,
        now: datetime,
        t: Translator,
    ) -> list[Reply]:
        if command == "close":
            rows = tuple(
                (Choice(words.outcome(t, o), f"{OUTCOME}{case.id}:{o}"),) for o in OUTCOMES
            )
            if self._referrals.has_partners() and case.status != "referred":
                refer = t.gettext("Refer to a partner, stays open")
                rows += ((Choice(refer, f"{CLOSE}refer:{case.id}"),),)
            text = t.gettext("How did {alias} end? The parent gets a kind closing message.")
            return [Reply(text.format(alias=case.alias), choices=rows)]
        if command == "refer":
            return [self._referrals.choose_partner(t, case)]
        if command == "block":
            text = t.gettext(
                "Block the parent of {alias}? The case closes, they are never offered to you "
                "again, and the coordinator is told. They are not told that you blocked them."
            )
            rows = (
                (Choice(t.gettext("Yes, block"), f"{BLOCK}{case.id}"),),
                (Choice(t.gettext("No"), f"{BLOCK}0"),),
            )
            return [Reply(text.format(alias=case.alias), choices=rows)]
        members = set(await uow.cases.members(case.id))
        others = [p for p in await uow.people.vps() if p.active and p.id not in members]
        others += await self._professionals.available(uow, case)
        choice = self._sharing.choose_second(t, case, others)
        joined = []
        for duo in await self._professionals.on_case(uow, case):
            professional = await uow.people.get(duo.person_id)
            if professional is not None:
                joined.append((duo, professional))
        if joined:
            ends = self._professionals.end_choices(t, case, joined)
            choice = replace(choice, choices=choice.choices + ends)
        return [choice]

    async def _pick(
        self, uow: UnitOfWork, person: Person, action: str, now: datetime, t: Translator
    ) -> list[Reply]:
        kind, _, rest = action.partition(":")
        parts = rest.split(":")
        # Keyed so that own.get(number(…)) finds nothing for data that is not a number.
        own: dict[int | None, Case] = {c.id: c for c in await self._own(uow, person)}
        match kind + ":", parts:
            case "offer:", [offer_id, answer] if (
                answer in (ACCEPT, DECLINE) and (offer := number(offer_id)) is not None
            ):
                return await self._cases.answer(uow, person, offer, answer, now)
            case "relay:", _:
                cases = [c for c in await uow.cases.of_member(person.id) if c.relaying]
                chosen = await self._cases.relay.choose(
                    uow, person.subject_hash, action, cases, now
                )
                if chosen is None:
                    return [Reply(t.gettext("That button no longer works."))]
                return await self._cases.relay.staff_to(uow, person, chosen[0], chosen[1], now)
            case "card:", [case_id]:
                return await self._card.chosen(uow, person, number(case_id), now)
            case "close:", [command, case_id] if (case := own.get(number(case_id))) is not None:
                return await self._act(uow, person, command, case, now, t)
            case "outcome:", [case_id, outcome] if (case := own.get(number(case_id))) is not None:
                replies = await self._cases.close(uow, person, case, outcome, now)
                await self._cases.offer_waiting(uow, now)  # there is room again
                return replies
            case "refer:", [case_id, partner_id] if (case := own.get(number(case_id))) is not None:
                partner = self._referrals.partner(partner_id)
                if partner is not None:
                    return [self._referrals.choose_when(t, case, partner)]
            case "when:", [case_id, partner_id, when] if (
                case := own.get(number(case_id))
            ) is not None:
                return await self._referrals.chosen(uow, person, case, partner_id, when, now)
            case "askref:", [case_id] if (case := own.get(number(case_id))) is not None:
                return await self._referrals.ask_now(uow, person, case, now)
            case "block:", ["0"]:
                return [Reply(t.gettext("Nothing has changed."))]
            case "block:", [case_id] if (case := own.get(number(case_id))) is not None:
                return await self._cases.block(uow, person, case, now)
            case "duo:", [case_id, person_id] if (case := own.get(number(case_id))) is not None:
                second_id = number(person_id)
                second = await uow.people.get(second_id) if second_id is not None else None
                if second is not None and second.active and second.role == PARTNER:
                    return await self._professionals.ask_consent(uow, person, case, second, now)
                if second is not None and second.active and second.id != person.id:
                    return await self._sharing.ask_consent(uow, person, case, second, now)
            case "hand:", [handover_id, colleague_id]:
                return await self._continuity.ask_colleague(
                    uow, person, list(own.values()), number(handover_id), number(colleague_id), now
                )
            case "handans:", [handover_id, answer]:
                return await self._continuity.colleague_answers(
                    uow, person, number(handover_id), answer, now
                )
            case "away:", [choice]:
                return await self._continuity.away_choice(
                    uow, person, list(own.values()), choice, now
                )
            case "proend:", [duo_id]:
                own_cases = list(own.values())
                return await self._professionals.end_by_vp(
                    uow, person, own_cases, number(duo_id), now
                )
        return [Reply(t.gettext("That button no longer works."))]

    @staticmethod
    async def _own(uow: UnitOfWork, person: Person) -> list[Case]:
        """The VP's own cases that relay (a second person's are not theirs to act on)."""
        return [c for c in await uow.cases.of_vp(person.id) if c.relaying]

    @staticmethod
    def _cases_of(cases: list[Case], t: Translator) -> Reply:
        if not cases:
            return Reply(t.gettext("You have no open questions."))
        lines = [words.case_line(t, c) for c in cases]
        return Reply(t.gettext("Your open questions:") + "\n" + "\n".join(lines))

    def _help(self, t: Translator, person: Person) -> Reply:
        console = ""
        if self._console.may_use(person):
            console = "\n" + t.gettext("/console – a link to the console, the web workplace")
        return Reply(
            t.gettext(
                "You are registered with Tussen In. New questions arrive here; "
                "you choose Accept or Decline."
            )
            + "\n\n"
            + t.gettext(
                "/cases – your open questions\n"
                "/name NAME – the name parents see\n"
                "/away and /available – pause new questions, or take them again\n"
                "/capacity N – how many open questions at a time"
            )
            + "\n"
            + t.gettext("/language – the language you work in here")
            + "\n"
            + t.gettext(
                "To write to a parent, reply to their message; with one open question you "
                "can also just write.\n"
                "/close – close a question with its outcome\n"
                "/duo – bring a second person in, with the parent's consent\n"
                "/block – block a parent who misbehaves"
            )
            + "\n"
            + t.gettext(
                "/case ALIAS – a question's card: its facts, next step and notes\n"
                "/note ALIAS TEXT – a note for the vertrouwenspersonen on the question"
            )
            + "\n"
            + t.gettext(
                "/refer ALIAS – refer a question to a partner organisation; it stays open\n"
                "/appointment ALIAS DD-MM – the day of the appointment with the partner\n"
                "/step ALIAS TEXT – a mediation step and its result, when care is stuck"
            )
            + "\n"
            + t.gettext(
                "/summary ALIAS TEXT – a summary for the professional on the question (/duo)"
            )
            + "\n"
            + t.gettext(
                "/handover ALIAS NOTE – hand a question to a colleague, with a note\n"
                "/away DD-MM – away until that day; you choose what happens to your questions"
            )
            + console
        )
